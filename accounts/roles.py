"""Customer roles as Django groups, and the portal permissions each one carries.

A plain user may look, refresh status, submit meter reads and request service; a fleet
manager may also do the restricted actions. The groups are (re)synchronised after every
``migrate``, so the mapping below is the single source of truth.
"""

from __future__ import annotations

from django.contrib.auth.models import Group, Permission
from django.utils.translation import gettext_lazy as _

USER = "User"
FLEET_MANAGER = "Fleet manager"

_USER_PERMISSIONS = [
    "accounts.refresh_status",
    "accounts.submit_meter_reads",
    "accounts.request_service",
]
ROLE_PERMISSIONS: dict[str, list[str]] = {
    USER: _USER_PERMISSIONS,
    FLEET_MANAGER: [
        *_USER_PERMISSIONS,
        "accounts.change_contract",
        "accounts.reset_device",
        "accounts.update_location",
        "accounts.order_supplies",
    ],
}
ROLE_LABELS = {USER: _("User"), FLEET_MANAGER: _("Fleet manager")}


def sync_roles(**_kwargs) -> None:
    """Create the role groups and give each exactly the permissions listed above."""
    for name, perms in ROLE_PERMISSIONS.items():
        group, _created = Group.objects.get_or_create(name=name)
        wanted = []
        for dotted in perms:
            app_label, codename = dotted.split(".")
            wanted.append(Permission.objects.get(content_type__app_label=app_label, codename=codename))
        group.permissions.set(wanted)


def role_group(name: str) -> Group:
    return Group.objects.get(name=name)


def role_label(user) -> str:
    if user.is_staff:
        return str(_("Help desk"))
    names = {g.name for g in user.groups.all()}
    if FLEET_MANAGER in names:
        return str(ROLE_LABELS[FLEET_MANAGER])
    if USER in names:
        return str(ROLE_LABELS[USER])
    return "-"
