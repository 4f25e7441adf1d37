"""The second factor's pages: the login's code step, set-up, recovery codes, turning it off.

A user with an authenticator app is not logged in by the password alone: ``LoginView``
hands over to ``otp_login_start``, which remembers the user in the (still anonymous)
session, and ``OTPVerifyView`` logs in only once a code is right. So no page, the admin
included, ever sees a session that has passed the password only, and the lock-out counter
is reset (django-axes, on a completed login) only after the second factor.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth import login as auth_login
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import HttpResponseRedirect
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import translation
from django.utils.crypto import constant_time_compare
from django.utils.decorators import method_decorator
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.generic import FormView, TemplateView
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp import login as otp_session_verified
from django_otp.plugins.otp_static.models import StaticDevice

from accounts import otp
from accounts.forms import OTPCodeForm
from accounts.lockout import is_locked_out, login_failure_record

PENDING_SESSION_KEY = "fmp_otp_pending"
CODES_SESSION_KEY = "fmp_otp_new_codes"


def otp_login_start(request, user, *, next_url: str) -> HttpResponseRedirect:
    """After a right password for a user with an authenticator app: ask for its code."""
    request.session[PENDING_SESSION_KEY] = {
        "user": user.pk,
        "backend": user.backend,
        "hash": user.get_session_auth_hash(),
        "at": time.time(),
        "next": next_url,
        # A temporary password is used up only when the code step completes the login.
        "temporary_password": getattr(user, "fmp_temporary_password", None),
    }
    return redirect("accounts:otp_verify")


def _pending(request) -> tuple | None:
    """(user, state) of the login waiting for its code, or None (none, expired, or the
    password changed meanwhile)."""
    state = request.session.get(PENDING_SESSION_KEY)
    if not state:
        return None
    user = None
    if time.time() - state["at"] <= settings.FMP_OTP_LOGIN_MINUTES * 60:
        user = get_user_model().objects.filter(pk=state["user"], is_active=True).first()
    if user is None or not constant_time_compare(user.get_session_auth_hash(), state["hash"]):
        del request.session[PENDING_SESSION_KEY]
        return None
    return user, state


CURRENT_CODE_FIELD = "current_code"


def current_code_confirmed(request) -> bool:
    """Turning the second factor off, replacing the app or renewing the recovery codes
    needs the second factor itself, typed now (a code of the app, or a recovery code), not
    just an open session. A wrong code counts toward the lock-out like a wrong password."""
    code = request.POST.get(CURRENT_CODE_FIELD, "")
    if code and otp.otp_verify(user=request.user, code=code) is not None:
        return True
    login_failure_record(request, request.user.get_username())
    messages.error(
        request,
        _("To confirm, type the code your authenticator app shows now (or one of your recovery codes)."),
    )
    return False


@method_decorator(never_cache, name="dispatch")
class OTPVerifyView(FormView):
    """The login's second step: the app's code or a recovery code. Wrong codes count
    toward the lock-out like wrong passwords; a locked-out user's codes are refused."""

    template_name = "accounts/otp_verify.html"
    form_class = OTPCodeForm

    def dispatch(self, request, *args, **kwargs):
        self.pending = _pending(request)
        if self.pending is None:
            if not request.user.is_authenticated:
                messages.info(request, _("Please log in again."))
            return redirect("accounts:login")
        if is_locked_out(request, self.pending[0].get_username()):
            return self._locked_out(self.pending[0])
        return super().dispatch(request, *args, **kwargs)

    def form_valid(self, form):
        user, state = self.pending
        device = otp.otp_verify(user=user, code=form.cleaned_data["code"])
        if device is None:
            login_failure_record(self.request, user.get_username())
            if getattr(self.request, "axes_locked_out", False):  # this failure reached the limit
                return self._locked_out(user)
            form.add_error(
                "code",
                _(
                    "This code is not correct. Type the code your app shows now (each code works "
                    "once), or a recovery code. After several failed attempts the account is "
                    "locked for a while."
                ),
            )
            return self.form_invalid(form)
        del self.request.session[PENDING_SESSION_KEY]
        user.fmp_temporary_password = state.get("temporary_password")
        auth_login(self.request, user, backend=state["backend"])
        otp_session_verified(self.request, device)
        if user.language:  # from now on the user's own language, this message included
            translation.activate(user.language)
        if isinstance(device, StaticDevice):
            left = otp.recovery_codes_left(user)
            messages.warning(
                self.request,
                ngettext(
                    "You used a recovery code: %(count)d is left. Make new ones in Settings.",
                    "You used a recovery code: %(count)d are left. Make new ones in Settings.",
                    left,
                )
                % {"count": left},
            )
        return redirect(state["next"])

    @staticmethod
    def _credentials(user) -> dict:
        return {"username": user.get_username()}

    def _locked_out(self, user):
        from axes.helpers import get_lockout_response

        self.request.session.flush()
        return get_lockout_response(self.request, None, self._credentials(user))


@method_decorator(never_cache, name="dispatch")  # secrets and codes: never kept by a cache
class OTPSetupView(LoginRequiredMixin, FormView):
    """Set up an authenticator app: the secret (text, otpauth link, QR code), then a code
    from the app to confirm; then the recovery codes, shown once."""

    template_name = "accounts/otp_setup.html"
    form_class = OTPCodeForm

    def get_context_data(self, **kwargs):
        device = otp.otp_setup_start(user=self.request.user)
        return super().get_context_data(
            device=device,
            secret=otp.totp_secret(device),
            config_url=device.config_url,
            qr_svg=otp.totp_qr_svg(device),
            required=otp.otp_required(self.request.user),
            replacing=otp.otp_enrolled(self.request.user),
            **kwargs,
        )

    def form_valid(self, form):
        if otp.otp_enrolled(self.request.user) and not current_code_confirmed(self.request):
            return self.form_invalid(form)  # replacing the app needs a code of the current one
        device = otp.otp_setup_start(user=self.request.user)
        codes = otp.otp_setup_confirm(device=device, code=form.cleaned_data["code"])
        if codes is None:
            form.add_error(
                "code",
                _(
                    "This code is not correct. Check that your phone's clock is right and type "
                    "the code the app shows now."
                ),
            )
            return self.form_invalid(form)
        device.refresh_from_db()
        otp_session_verified(self.request, device)
        self.request.session[CODES_SESSION_KEY] = codes
        messages.success(self.request, _("Two-step verification is on: every login now asks for a code."))
        return redirect("accounts:otp_recovery_codes")


@method_decorator(never_cache, name="dispatch")  # secrets and codes: never kept by a cache
class OTPRecoveryCodesView(LoginRequiredMixin, TemplateView):
    """New recovery codes are shown once, right after they are made; later only their count."""

    template_name = "accounts/otp_recovery_codes.html"

    def get_context_data(self, **kwargs):
        user = self.request.user
        return super().get_context_data(
            codes=self.request.session.pop(CODES_SESSION_KEY, None),
            left=otp.recovery_codes_left(user),
            enrolled=otp.otp_enrolled(user),
            **kwargs,
        )

    def post(self, request, *args, **kwargs):
        if not otp.otp_enrolled(request.user):
            return redirect("accounts:otp_setup")
        if not current_code_confirmed(request):
            return redirect("accounts:otp_recovery_codes")
        request.session[CODES_SESSION_KEY] = otp.otp_recovery_codes_renew(user=request.user)
        messages.success(request, _("New recovery codes made: the old ones no longer work."))
        return redirect("accounts:otp_recovery_codes")


class OTPDisableView(LoginRequiredMixin, View):
    """Turn two-step verification off, unless the user must use it."""

    def post(self, request, *args, **kwargs):
        if otp.otp_required(request.user):
            messages.error(request, _("Two-step verification is required for your account: it stays on."))
        elif not current_code_confirmed(request):
            pass  # the message says what to type
        else:
            otp.otp_disable(user=request.user)
            request.session.pop(DEVICE_ID_SESSION_KEY, None)
            messages.success(request, _("Two-step verification is off."))
        return redirect(reverse("settings"))
