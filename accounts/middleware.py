"""Per-user language, and the forced password change after a temporary password."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

LANGUAGE_COOKIE = settings.LANGUAGE_COOKIE_NAME
_SUPPORTED = {code for code, _name in settings.LANGUAGES}


class UserLanguageMiddleware:
    """The user's stored language; before login the language cookie; else French.

    The browser's Accept-Language is deliberately ignored: French is the portal's default.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        language = None
        if user is not None and user.is_authenticated and user.language in _SUPPORTED:
            language = user.language
        if language is None:
            cookie = request.COOKIES.get(LANGUAGE_COOKIE)
            language = cookie if cookie in _SUPPORTED else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        return response


class ForcePasswordChangeMiddleware:
    """After a login with a temporary password, only the password change page opens."""

    ALLOWED_PREFIXES = ("/i18n/", "/healthz", "/collector/v1/")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.must_change_password:
            allowed = {reverse("accounts:password_change"), reverse("accounts:logout")}
            if request.path not in allowed and not request.path.startswith(
                (settings.STATIC_URL, *self.ALLOWED_PREFIXES)
            ):
                return redirect("accounts:password_change")
        return self.get_response(request)


class InactiveAccountMiddleware:
    """A session of a user whose customer account became inactive ends at its next request."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and not user.is_staff
            and user.account_id
            and not request.path.startswith("/collector/v1/")  # machines: no session, no redirect
        ):
            from accounts.forms import LoginForm
            from accounts.models import Account

            # One query, kept on the user for the rest of the request (the header shows it).
            user.account = Account.objects.select_related("parent__parent").get(pk=user.account_id)
            if not user.account_is_active:
                logout(request)
                messages.error(request, LoginForm.error_messages["account_inactive"])
                return redirect("accounts:login")
        return self.get_response(request)


class SecondFactorMiddleware:
    """The second factor, after ``django_otp.middleware.OTPMiddleware``.

    A user with an authenticator app is logged in only by the login's code step
    (``accounts.otp_views``); a session of such a user that has not passed it (one opened
    before the app was set up, elsewhere) is logged out. A user who must use one
    (``accounts.otp.otp_required``) and has none reaches only the set-up page.
    """

    ALLOWED_PREFIXES = ("/i18n/", "/healthz", "/collector/v1/")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and not user.is_verified():
            from django.contrib.auth.views import redirect_to_login

            from accounts import otp

            if otp.otp_enrolled(user):
                logout(request)
                messages.info(request, _("Please log in again with your authenticator app's code."))
                return redirect_to_login(request.get_full_path())
            if not user.must_change_password and otp.otp_required(user) and not self._allowed(request):
                return redirect("accounts:otp_setup")
        return self.get_response(request)

    def _allowed(self, request) -> bool:
        allowed = {
            reverse("accounts:otp_setup"),
            reverse("accounts:otp_recovery_codes"),
            reverse("accounts:logout"),
        }
        return request.path in allowed or request.path.startswith(
            (settings.STATIC_URL, *self.ALLOWED_PREFIXES)
        )
