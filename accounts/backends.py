"""Authentication: by username or e-mail, and by a single-use temporary password."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.hashers import check_password
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import TemporaryPassword


def find_user(identifier: str | None):
    """The active user whose username or e-mail is ``identifier`` (case-insensitive)."""
    if not identifier:
        return None
    identifier = identifier.strip()
    User = get_user_model()
    return (
        User.objects.filter(Q(username__iexact=identifier) | Q(email__iexact=identifier))
        .order_by("pk")
        .first()
    )


def axes_username(request, credentials) -> str:
    """Lock-out key: the canonical username, so typing the e-mail instead gains no tries."""
    typed = (credentials or {}).get("username") or request.POST.get("username", "")
    user = find_user(typed)
    return user.username.lower() if user else typed.strip().lower()


class UsernameOrEmailBackend(ModelBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        user = find_user(username)
        if user is None or password is None:
            # Run the hasher anyway so that timing does not tell whether the user exists.
            get_user_model()().set_password(password or "")
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None


class TemporaryPasswordBackend(ModelBackend):
    """Accepts a temporary password once, before it expires, and forces a change."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        user = find_user(username)
        if user is None or not password or not self.user_can_authenticate(user):
            return None
        now = timezone.now()
        with transaction.atomic():
            candidates = (
                TemporaryPassword.objects.select_for_update()
                .filter(user=user, used_at__isnull=True, expires_at__gt=now)
                .order_by("-created_at")
            )
            for temp in candidates:
                if check_password(password, temp.password_hash):
                    temp.used_at = now
                    temp.save(update_fields=["used_at"])
                    user.must_change_password = True
                    user.save(update_fields=["must_change_password"])
                    return user
        return None
