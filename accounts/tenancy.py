"""The one tenancy mechanism of the portal.

Every tenant-owned model uses ``TenantManager`` and names, in ``tenant_path``, the lookup
from itself to its :class:`accounts.models.Account` (``"account"``, ``"device__account"``).
``Model.objects.for_user(user)`` then returns only the rows that user may see: those of
the user's account and its sub-accounts. Help-desk staff see every account. Anonymous
users, and users attached to no account, see nothing. Customer-facing views get their
querysets through :class:`accounts.mixins.TenantScopedMixin`, which calls this method, so
no view can forget it.

A device's history (tickets, supply orders, meter reads) belongs to the account the device
had when each record was made, not to the device: these models derive from
:class:`DeviceHistoryRecord`, carry their own ``account`` (stamped at creation from the
device) and have ``tenant_path = "account"``. When the help desk moves a device to another
account, the new account sees the device and its telemetry (levels, counters, state
history) but none of the previous account's records. Read such records through
``for_user`` as well, including from a device (``device.tickets.for_user(user)``), never
``device.tickets.all()`` in a customer view.
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


def sees_account(user, account_id: int | None) -> bool:
    """Whether ``user`` sees that account (a record's device may have moved to another one)."""
    ids = visible_account_ids(user)
    return ids is None or account_id in ids


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

    def bulk_create(self, objs, *args, **kwargs):
        objs = list(objs)
        if issubclass(self.model, DeviceHistoryRecord):
            stamp_account(objs)
        return super().bulk_create(objs, *args, **kwargs)

    def within_history(self, user, field: str) -> TenantQuerySet:
        """Rows whose ``field`` falls in the user's window (Settings: last 90 days or all)."""
        since = user.history_since()
        return self.filter(**{f"{field}__gte": since}) if since else self


TenantManager = models.Manager.from_queryset(TenantQuerySet)


def stamp_account(records) -> None:
    """Give each new record without an account its device's account at this moment."""
    missing = []
    for record in records:
        if record.account_id is not None or record.device_id is None:
            continue
        if type(record).device.is_cached(record):  # the device is at hand: no query
            record.account_id = record.device.account_id
        else:
            missing.append(record)
    if not missing:
        return
    from printers.models import Device

    accounts = dict(
        Device.objects.filter(pk__in={r.device_id for r in missing}).values_list("pk", "account_id")
    )
    for record in missing:
        record.account_id = accounts.get(record.device_id)


class DeviceHistoryRecord(models.Model):
    """A record of a device's history that belongs to the account it was made for.

    Subclasses declare ``account`` and ``device`` foreign keys; a new record saved (or
    bulk-created) without an account gets the device's current one."""

    tenant_path = "account"

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if self._state.adding:
            stamp_account([self])
        super().save(*args, **kwargs)
