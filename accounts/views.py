from __future__ import annotations

from axes.helpers import get_client_ip_address
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.mixins import LoginRequiredMixin
from django.shortcuts import redirect
from django.urls import reverse, reverse_lazy
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from django.views.generic import FormView, UpdateView

from accounts import services
from accounts.forms import (
    ForcedPasswordChangeForm,
    ForgotPasswordForm,
    LoginForm,
    PortalPasswordChangeForm,
    ProfileForm,
    SettingsForm,
)
from fmp.redirects import is_local_path


def safe_next(request, default: str) -> str:
    """The ``next`` parameter when it is a path of this site, else ``default``.

    ``fmp.middleware.RequestGuardMiddleware`` has already refused a form submitted with any
    other ``next`` (before the view stored anything); this check stays for the pages that
    read it."""
    target = request.POST.get("next") or request.GET.get("next")
    return target if is_local_path(target) else default


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True

    def form_valid(self, form):
        from accounts.otp import otp_enrolled
        from accounts.otp_views import otp_login_start

        user = form.get_user()
        if otp_enrolled(user):  # the password is not enough: the code step logs in
            return otp_login_start(self.request, user, next_url=self.get_success_url())
        return super().form_valid(form)


class LogoutView(auth_views.LogoutView):
    pass


class ForgotPasswordView(FormView):
    template_name = "accounts/password_forgot.html"
    form_class = ForgotPasswordForm
    success_url = reverse_lazy("accounts:login")

    def form_valid(self, form):
        # Same work and same answer for known and unknown users: the e-mail (and the
        # temporary password itself) is made off the request path.
        services.temporary_password_request(
            identifier=form.cleaned_data["username"],
            login_url=self.request.build_absolute_uri(reverse("accounts:login")),
            ip_address=get_client_ip_address(self.request),
        )
        messages.success(
            self.request,
            _(
                "If this username is known, a temporary password has been sent to its e-mail "
                "address. Log in with it: you will then choose a new password."
            ),
        )
        return super().form_valid(form)


class PasswordChangeView(LoginRequiredMixin, FormView):
    """Change password; after a temporary password the old one is not asked for."""

    template_name = "accounts/password_change.html"

    @property
    def forced(self) -> bool:
        return self.request.user.must_change_password

    def get_form_class(self):
        return ForcedPasswordChangeForm if self.forced else PortalPasswordChangeForm

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["user"] = self.request.user
        if not self.forced:
            kwargs["request"] = self.request  # wrong old passwords count toward the lock-out
        return kwargs

    def get_context_data(self, **kwargs):
        return super().get_context_data(forced=self.forced, **kwargs)

    def form_valid(self, form):
        services.user_password_change(user=self.request.user, password=form.cleaned_data["new_password1"])
        update_session_auth_hash(self.request, self.request.user)
        messages.success(self.request, _("Your password has been changed."))
        return redirect("home")


class SettingsView(LoginRequiredMixin, UpdateView):
    template_name = "accounts/settings.html"
    form_class = SettingsForm

    def get_object(self, queryset=None):
        return self.request.user

    def form_valid(self, form):
        services.user_settings_update(
            user=self.request.user,
            history_scope=form.cleaned_data["history_scope"],
            language=form.cleaned_data["language"],
            emails=form.cleaned_data["emails"],
        )
        translation.activate(form.cleaned_data["language"])
        messages.success(self.request, _("Your settings have been saved."))
        response = redirect("settings")
        response.set_cookie(settings.LANGUAGE_COOKIE_NAME, form.cleaned_data["language"], samesite="Lax")
        return response


class ProfileView(LoginRequiredMixin, UpdateView):
    template_name = "accounts/profile.html"
    form_class = ProfileForm

    def get_object(self, queryset=None):
        return self.request.user

    def get_context_data(self, **kwargs):
        return super().get_context_data(next=safe_next(self.request, ""), **kwargs)

    def form_valid(self, form):
        form.save()
        messages.success(self.request, _("Your profile has been saved."))
        return redirect(safe_next(self.request, reverse("accounts:profile")))
