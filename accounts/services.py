"""Writes for accounts and users: temporary passwords, password changes, settings."""

from __future__ import annotations

import logging
import secrets
import string

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from accounts.backends import find_user
from accounts.models import TemporaryPassword, TemporaryPasswordRequest, User

logger = logging.getLogger(__name__)

_ALPHABET = string.ascii_letters + string.digits


def generate_temporary_password(length: int = 12) -> str:
    """A random password that itself meets the portal's policy."""
    while True:
        candidate = "".join(secrets.choice(_ALPHABET) for _ in range(length))
        if (
            any(c.isdigit() for c in candidate)
            and any(c.isupper() for c in candidate)
            and any(c.islower() for c in candidate)
        ):
            return candidate


def temporary_password_request(*, identifier: str, login_url: str, ip_address: str | None = None) -> None:
    """Have a single-use temporary password e-mailed to the user named by ``identifier``.

    The caller learns nothing about whether that user exists, and the work done here is
    the same either way: the password is made and sent off the request path (by the
    Celery worker, or a background thread without a broker), from the user id alone, so
    that no password ever sits in the broker. At most ``FMP_TEMP_PASSWORD_PER_USER``
    requests per login name and ``FMP_TEMP_PASSWORD_PER_ADDRESS`` per address go through
    in ``FMP_TEMP_PASSWORD_THROTTLE_MINUTES``; the others are dropped silently (the page
    says the same: telling would let one probe which names are the same user).
    """
    from accounts.notifications import run_off_request
    from accounts.tasks import temporary_password_send

    user = find_user(identifier)
    # The same canonical name as the lock-out's (accounts.lockout.lockout_username).
    login_name = user.username.lower() if user else (identifier or "").strip().lower()[:254]
    if not _temporary_password_request_allowed(login_name, ip_address):
        logger.warning("Temporary password requests throttled (login name or address over the limit)")
        return
    eligible = user is not None and user.is_active and bool(user.email)
    if not eligible:
        logger.info("Temporary password asked for an unknown or unreachable user")
    # Unknown users go through the same hand-off (the worker does nothing for them).
    user_id = user.pk if eligible else None
    transaction.on_commit(lambda: run_off_request(temporary_password_send, user_id, login_url))


def _temporary_password_request_allowed(login_name: str, ip_address: str | None) -> bool:
    now = timezone.now()
    since = now - timezone.timedelta(minutes=settings.FMP_TEMP_PASSWORD_THROTTLE_MINUTES)
    with transaction.atomic():
        TemporaryPasswordRequest.objects.filter(created_at__lt=since).delete()
        by_name, by_address = Q(login_name=login_name), Q(ip_address=ip_address)
        counts = TemporaryPasswordRequest.objects.filter(
            by_name | by_address, created_at__gte=since
        ).aggregate(name=Count("pk", filter=by_name), address=Count("pk", filter=by_address))
        if counts["name"] >= settings.FMP_TEMP_PASSWORD_PER_USER or (
            ip_address and counts["address"] >= settings.FMP_TEMP_PASSWORD_PER_ADDRESS
        ):
            return False
        TemporaryPasswordRequest.objects.create(login_name=login_name, ip_address=ip_address, created_at=now)
    return True


def temporary_password_send(*, user_id: int | None, login_url: str) -> bool:
    """Make a temporary password for the user and e-mail it (in the worker). True when sent.

    The new password is recorded only once the mail server has taken the message, and
    only then do the user's earlier pending temporary passwords stop working: a failed
    send (raised to the caller, which retries) leaves the one sent before valid.
    """
    from accounts.notifications import deliver, render

    if user_id is None:
        return False
    user = User.objects.filter(pk=user_id, is_active=True).exclude(email="").first()
    if user is None or not user.account_is_active:  # an inactive account's users cannot log in
        return False
    password = generate_temporary_password()
    message = render(
        user=user,
        template="accounts/email/temporary_password",
        context={
            "password": password,
            "login_url": login_url,
            "max_age": timezone.timedelta(minutes=settings.FMP_TEMP_PASSWORD_MAX_AGE_MINUTES),
        },
    )
    password_hash = make_password(password)
    deliver(message)  # raises when the mail server is down: nothing is recorded
    now = timezone.now()
    max_age = timezone.timedelta(minutes=settings.FMP_TEMP_PASSWORD_MAX_AGE_MINUTES)
    with transaction.atomic():
        TemporaryPassword.objects.filter(user=user, used_at__isnull=True, expires_at__gt=now).update(
            expires_at=now
        )
        TemporaryPassword.objects.create(user=user, password_hash=password_hash, expires_at=now + max_age)
    return True


def user_password_change(*, user: User, password: str) -> None:
    """Set a new (validated) password and lift the forced change."""
    user.set_password(password)
    user.must_change_password = False
    user.save(update_fields=["password", "must_change_password"])
    TemporaryPassword.objects.filter(user=user, used_at__isnull=True).update(expires_at=timezone.now())


def user_settings_update(
    *, user: User, history_scope: str, language: str, emails: list[str] | None = None
) -> None:
    from accounts.notifications import KINDS

    user.history_scope = history_scope
    user.language = language
    fields = ["history_scope", "language"]
    if emails is not None:
        user.email_opt_out = [kind for kind in KINDS if kind not in emails]
        fields.append("email_opt_out")
    user.save(update_fields=fields)
