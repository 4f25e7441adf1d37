"""The one tenancy mechanism of the portal.

Every tenant-owned model uses ``TenantManager`` and names, in ``tenant_path``, the lookup
from itself to its :class:`accounts.models.Account` (``"account"``, ``"device__account"``).
``Model.objects.for_user(user)`` then returns only the rows that user may see: those of
the user's account and its sub-accounts. Help-desk staff see every account. Anonymous
users, and users attached to no account, see nothing. Customer-facing views get their
querysets through :class:`accounts.mixins.TenantScopedMixin`, which calls this method, so
no view can forget it.
"""

from __future__ import annotations

from django.db import models


def visible_account_ids(user) -> frozenset[int] | None:
    """Ids of the accounts ``user`` may see; ``None`` means every account (help desk).

    Cached on the user object for the duration of the request.
    """
    if not getattr(user, "is_authenticated", False):
        return frozenset()
    if user.is_staff:
        return None
    cached = getattr(user, "_fmp_visible_account_ids", None)
    if cached is not None:
        return cached
    if user.account_id is None:
        ids: frozenset[int] = frozenset()
    else:
        from accounts.models import Account

        ids = frozenset(Account.objects.descendant_ids(user.account_id))
    user._fmp_visible_account_ids = ids
    return ids


def sees_several_accounts(user) -> bool:
    """Whether ``user`` sees more than one account (help desk, or an account with
    sub-accounts): lists then name each row's account and can be filtered by it."""
    ids = visible_account_ids(user)
    return ids is None or len(ids) > 1


class TenantQuerySet(models.QuerySet):
    def for_user(self, user) -> TenantQuerySet:
        """Rows of the accounts that ``user`` may see (see module docstring)."""
        ids = visible_account_ids(user)
        if ids is None:
            return self
        if not ids:
            return self.none()
        path = self.model.tenant_path
        lookup = f"{path}__in" if path else "pk__in"
        return self.filter(**{lookup: ids})

    def within_history(self, user, field: str) -> TenantQuerySet:
        """Rows whose ``field`` falls in the user's window (Settings: last 90 days or all)."""
        since = user.history_since()
        return self.filter(**{f"{field}__gte": since}) if since else self


TenantManager = models.Manager.from_queryset(TenantQuerySet)
