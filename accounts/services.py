"""Writes for accounts and users: temporary passwords, password changes, settings."""

from __future__ import annotations

import logging
import secrets
import string

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from accounts.backends import find_user
from accounts.models import TemporaryPassword, User

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


def temporary_password_request(*, identifier: str, login_url: str) -> None:
    """E-mail a single-use temporary password to the user named by ``identifier``.

    Says nothing to the caller about whether that user exists: the view shows the same
    message either way. Earlier unused temporary passwords of the user stop working.
    """
    user = find_user(identifier)
    password = generate_temporary_password()
    password_hash = make_password(password)  # hashed even for unknown users: same timing
    if user is None or not user.is_active or not user.email:
        logger.info("Temporary password asked for an unknown or unreachable user")
        return
    now = timezone.now()
    max_age = timezone.timedelta(minutes=settings.FMP_TEMP_PASSWORD_MAX_AGE_MINUTES)
    with transaction.atomic():
        TemporaryPassword.objects.filter(user=user, used_at__isnull=True, expires_at__gt=now).update(
            expires_at=now
        )
        TemporaryPassword.objects.create(user=user, password_hash=password_hash, expires_at=now + max_age)
        _send_temporary_password(user=user, password=password, login_url=login_url)


def _send_temporary_password(*, user: User, password: str, login_url: str) -> None:
    from accounts.notifications import send_now

    send_now(
        user=user,
        template="accounts/email/temporary_password",
        context={
            "password": password,
            "login_url": login_url,
            "max_age_minutes": settings.FMP_TEMP_PASSWORD_MAX_AGE_MINUTES,
        },
    )


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
