"""The demo world from the client guide's examples. Idempotent: running it twice changes nothing."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from accounts import roles
from accounts.models import Account, Site, User
from documents.models import ExternalLink

DEFAULT_DEMO_PASSWORD = "Demo-Fleet-2026"  # noqa: S105 -- documented demo password


@dataclass(frozen=True)
class DemoUser:
    email: str
    first_name: str
    last_name: str
    role: str | None  # None: help-desk staff
    account: str | None


DEMO_USERS = [
    DemoUser("manager@abc-cars.example", "Marta", "Martinez", roles.FLEET_MANAGER, "pursuit"),
    DemoUser("user@abc-cars.example", "Peter", "Norman", roles.USER, "pursuit"),
    DemoUser("user@other.example", "Olivia", "Other", roles.USER, "other"),
    DemoUser("helpdesk@fmp.example", "Hélène", "Desk", None, None),
]


@transaction.atomic
def demo_world_build(*, password: str) -> dict:
    """Create (or find) the demo accounts, site, users and links. Returns what exists."""
    abc, _ = Account.objects.get_or_create(name="ABC Cars", parent=None)
    pursuit, _ = Account.objects.get_or_create(name="ABC London Pursuit", parent=abc)
    other, _ = Account.objects.get_or_create(name="Other Industries", parent=None)
    xps, _ = Site.objects.get_or_create(
        account=pursuit,
        name="XPS Hosting Site",
        defaults={
            "country": "USA",
            "state": "NY",
            "city": "Webster",
            "postal_code": "14580",
            "street1": "800 Phillips Road",
            "building": "111",
            "floor": "1",
        },
    )
    other_site, _ = Site.objects.get_or_create(
        account=other,
        name="Other HQ",
        defaults={"country": "France", "city": "Lyon", "street1": "1 rue de la République"},
    )
    accounts = {"pursuit": pursuit, "other": other}
    sites = {"pursuit": xps, "other": other_site}
    users = {}
    for spec in DEMO_USERS:
        user = User.objects.filter(username=spec.email).first()
        if user is None:
            user = User(
                username=spec.email,
                email=spec.email,
                first_name=spec.first_name,
                last_name=spec.last_name,
                account=accounts.get(spec.account),
                default_site=sites.get(spec.account),
                is_staff=spec.role is None,
                is_superuser=spec.role is None,
            )
            user.set_password(password)
            user.save()
            if spec.role:
                user.groups.add(roles.role_group(spec.role))
        users[spec.email] = user
    for order, (title, url) in enumerate(
        [
            ("Xerox support", "https://www.support.xerox.com/"),
            ("Print policy (intranet)", "https://intranet.abc-cars.example/print-policy"),
        ]
    ):
        link, created = ExternalLink.objects.get_or_create(
            title=title, defaults={"url": url, "order": order, "all_accounts": order == 0}
        )
        if created and order == 1:
            link.accounts.add(abc, pursuit)
    return {"accounts": [abc, pursuit, other], "sites": [xps, other_site], "users": users}
