"""Second factor (django-otp): an authenticator app (TOTP) plus single-use recovery codes.

Reads: ``otp_enrolled``, ``otp_required``, ``otp_satisfied``, ``recovery_codes_left``.
Writes: ``otp_setup_start`` / ``otp_setup_confirm`` (enrolment), ``otp_recovery_codes_renew``,
``otp_disable``, ``otp_verify`` (a code at login; a recovery code is used up).

Wrong codes at login are counted by the caller (the login's second step) toward the same
django-axes lock-out as wrong passwords; django-otp's own throttle is off (settings).
"""

from __future__ import annotations

import logging
import time
from base64 import b32encode

from django.conf import settings
from django.db import transaction
from django_otp import verify_token
from django_otp.oath import TOTP, hotp
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

logger = logging.getLogger(__name__)

RECOVERY_CODE_COUNT = 10
TOTP_DEVICE_NAME = "Authenticator app"
RECOVERY_DEVICE_NAME = "Recovery codes"


# --- Reads ----------------------------------------------------------------------------


def totp_device(user, *, confirmed: bool = True) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=confirmed).order_by("-pk").first()


def otp_enrolled(user) -> bool:
    """The user has a confirmed authenticator app: every login asks for its code."""
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def otp_required(user) -> bool:
    """The user must set up an authenticator app: help-desk staff (``FMP_STAFF_OTP_REQUIRED``),
    or a customer user whose account, or one of its parent accounts, requires it."""
    if user.is_staff:
        return settings.FMP_STAFF_OTP_REQUIRED
    if not user.account_id:
        return False
    from accounts.models import Account, User

    if User.account.is_cached(user):  # loaded once per request (InactiveAccountMiddleware)
        account = user.account
    else:
        account = Account.objects.select_related("parent__parent").filter(pk=user.account_id).first()
    return account is not None and any(a.require_otp for a in account.lineage())


def otp_satisfied(request) -> bool:
    """The session has passed the second factor its user needs (or the user needs none)."""
    user = request.user
    if not user.is_authenticated:
        return False
    if getattr(user, "is_verified", None) and user.is_verified():
        return True
    return not otp_enrolled(user) and not otp_required(user)


def recovery_codes_left(user) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


def totp_secret(device: TOTPDevice) -> str:
    """The secret as authenticator apps take it when typed: base32, in groups of four."""
    secret = b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def totp_code_usable(device: TOTPDevice) -> str | None:
    """A code the device accepts now: the current one or, when that one was just used (each
    code works once), the next one, which the tolerance of one step lets in; else None."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time()
    step = max(totp.t(), device.last_t + 1)
    if step > totp.t() + device.tolerance:
        return None
    return f"{hotp(device.bin_key, step, digits=device.digits):0{device.digits}d}"


def totp_qr_svg(device: TOTPDevice) -> str:
    """The otpauth URI as an inline SVG QR code (no script, no image file)."""
    import segno

    return segno.make(device.config_url, error="m").svg_inline(scale=4, border=2)


# --- Writes ---------------------------------------------------------------------------


@transaction.atomic
def otp_setup_start(*, user) -> TOTPDevice:
    """The new, not yet confirmed authenticator device of the user (kept across page loads,
    so that a secret already scanned stays valid until it is confirmed)."""
    pending = list(TOTPDevice.objects.select_for_update().filter(user=user, confirmed=False).order_by("-pk"))
    if pending:
        TOTPDevice.objects.filter(pk__in=[d.pk for d in pending[1:]]).delete()
        return pending[0]
    return TOTPDevice.objects.create(user=user, name=TOTP_DEVICE_NAME, confirmed=False)


def otp_setup_confirm(*, device: TOTPDevice, code: str) -> list[str] | None:
    """Confirm the device with a code from the app. Returns the new recovery codes (shown
    once), or None when the code is wrong. An earlier app and its codes stop working."""
    with transaction.atomic():
        device = TOTPDevice.objects.select_for_update().filter(pk=device.pk, confirmed=False).first()
        if device is None or not device.verify_token(_normalise(code)):
            return None
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        TOTPDevice.objects.filter(user_id=device.user_id).exclude(pk=device.pk).delete()
        codes = _recovery_codes_replace(device.user)
    logger.info("accounts.otp.enrolled user=%s", device.user_id)
    return codes


def otp_recovery_codes_renew(*, user) -> list[str]:
    """New recovery codes; the old ones stop working."""
    with transaction.atomic():
        codes = _recovery_codes_replace(user)
    logger.info("accounts.otp.recovery_codes_renewed user=%s", user.pk)
    return codes


@transaction.atomic
def otp_device_ensure(*, user) -> TOTPDevice:
    """The user's confirmed authenticator device, made now (without a confirming code) if
    there is none: for the demo's help-desk user, whose secret ``manage.py demo`` prints."""
    device = totp_device(user)
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=TOTP_DEVICE_NAME, confirmed=True)
        logger.info("accounts.otp.enrolled user=%s (without confirmation)", user.pk)
    return device


@transaction.atomic
def otp_disable(*, user) -> None:
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()
    logger.info("accounts.otp.disabled user=%s", user.pk)


def otp_verify(*, user, code: str):
    """The device that accepts ``code`` (the app's code, or an unused recovery code, which
    is used up), or None. Each app code works once (a later one is needed next time)."""
    code = _normalise(code)
    if not code:
        return None
    devices = [
        *TOTPDevice.objects.filter(user=user, confirmed=True),
        *StaticDevice.objects.filter(user=user, confirmed=True),
    ]
    for device in devices:
        # verify_token locks the device row: a recovery code cannot be used twice at once.
        verified = verify_token(user, device.persistent_id, code)
        if verified is not None:
            return verified
    return None


def _normalise(code: str) -> str:
    return "".join((code or "").split()).replace("-", "").lower()


def _recovery_codes_replace(user) -> list[str]:
    # The device stays (a session that logged in with a recovery code stays verified by
    # it); only its codes change.
    device = StaticDevice.objects.filter(user=user).order_by("pk").first()
    if device is None:
        device = StaticDevice.objects.create(user=user, name=RECOVERY_DEVICE_NAME, confirmed=True)
    StaticDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODE_COUNT)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes
