"""Authentication: by username or e-mail, and by a single-use temporary password.

Both backends do the same hashing work for every failed login (one hash each, whether
the user exists, has a pending temporary password or not), so that the time a login
takes tells nothing about the user.
"""

from __future__ import annotations

import logging

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.hashers import check_password, make_password
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import TemporaryPassword

logger = logging.getLogger(__name__)


def find_user(identifier: str | None):
    """The one user whose username or e-mail is ``identifier`` (case-insensitive), or None.

    Login names are unique across both fields (``User.validate_unique``); should two users
    still match (data from before that rule), nobody is found rather than the wrong one.
    """
    if not identifier:
        return None
    identifier = str(identifier).strip()
    if not identifier:
        return None
    User = get_user_model()
    matches = list(
        User.objects.filter(Q(username__iexact=identifier) | Q(email__iexact=identifier)).order_by("pk")[:2]
    )
    if len(matches) > 1:
        logger.warning("Login name matches several users (ids %s): none is used", [u.pk for u in matches])
        return None
    return matches[0] if matches else None


def _dummy_hash(password: str | None) -> None:
    """As much hashing as checking one password, for nothing."""
    make_password(password or "")


class UsernameOrEmailBackend(ModelBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        user = find_user(username)
        if user is None or password is None:
            _dummy_hash(password)
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None


class TemporaryPasswordBackend(ModelBackend):
    """Accepts a temporary password once, before it expires, and forces a change.

    Only the newest pending temporary password of the user counts (a new one replaces the
    older ones once it has been sent), and exactly one hash is checked on every attempt.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        user = find_user(username)
        if user is None or not password or not self.user_can_authenticate(user):
            _dummy_hash(password)
            return None
        now = timezone.now()
        with transaction.atomic():
            temp = (
                TemporaryPassword.objects.select_for_update()
                .filter(user=user, used_at__isnull=True, expires_at__gt=now)
                .order_by("-created_at", "-pk")
                .first()
            )
            if temp is None:
                _dummy_hash(password)
                return None
            if not check_password(password, temp.password_hash):
                return None
        # Used up only once the login completes (``temporary_password_used``): a login
        # that stops before, at the second factor's code step or on an inactive account,
        # leaves it valid.
        user.fmp_temporary_password = temp.pk
        return user


def temporary_password_used(sender, request, user, **kwargs) -> None:
    """``user_logged_in``: a login made with a temporary password uses it up and forces a
    password change."""
    temp_id = getattr(user, "fmp_temporary_password", None)
    if temp_id is None:
        return
    with transaction.atomic():
        TemporaryPassword.objects.filter(pk=temp_id, user=user, used_at__isnull=True).update(
            used_at=timezone.now()
        )
        user.must_change_password = True
        user.save(update_fields=["must_change_password"])
    user.fmp_temporary_password = None
