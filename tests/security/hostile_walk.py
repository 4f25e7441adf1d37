"""Every GET view of the URLconf with hostile query values and path ids: never a 500.

Shared by ``tests/security/test_hostile_input.py`` (PostgreSQL, as the help desk, a fleet
manager and a plain user) and by the SQLite run of the demo's database, where this module
runs as a script in its own process::

    DATABASE_URL=sqlite:////tmp/walk.sqlite3 python -m tests.security.hostile_walk

(it migrates that database, builds a small fleet with data and prints what failed).

A new URL makes ``test_every_url_has_its_parameters_listed`` fail until its query
parameters are listed in ``PARAMS`` below.
"""

from __future__ import annotations

import sys

# Values a hand-edited, fuzzed or truncated URL brings: empty, signs, zero, beyond 64 bits,
# not a number, months and dates out of range, NUL, a LIKE wildcard, a very long text.
HOSTILE = [
    "",
    " ",
    "-1",
    "0",
    "9223372036854775808",  # 2**63: one past PostgreSQL's bigint, SQLite's integer
    "-999999999999999999999999",
    "abc",
    "\u00b2",  # "²": str.isdigit() says yes, int() says no
    "9999-12",
    "0001-01",
    "9999-12-31",
    "0001-01-01",
    "\x00",
    "%_\\",
    "x" * 3000,
]
BIG_ID = "99999999999999999999"  # beyond 64 bits
PATH_IDS = [BIG_ID, "9223372036854775808", "0"]
PATH_TEXTS = ["x" * 3000, "%00", "%25", "\u200b"]

LIST = ["page", "per_page", "sort"]  # what a django-tables2 grid reads
# The query parameters each view reads (request.GET, its filter set, its table or paginator).
PARAMS: dict[str, list[str]] = {
    "home": [],
    # The collector endpoints read no query parameter (signed requests, JSON bodies).
    "collector:enroll": [],
    "collector:config": [],
    "collector:commands": [],
    "collector:command_complete": [],
    "collector:results": [],
    "collector:heartbeat": [],
    "healthz": [],
    "settings": [],
    "set_language": ["next"],
    "accounts:login": ["next"],
    "accounts:logout": ["next"],
    "accounts:password_forgot": [],
    "accounts:password_change": [],
    "accounts:profile": ["next"],
    "accounts:otp_verify": [],
    "accounts:otp_setup": [],
    "accounts:otp_recovery_codes": [],
    "accounts:otp_disable": [],
    "printers:printer_list": [
        "q",
        "contract",
        "new",
        "state",
        "incident",
        "account",
        "site",
        "export",
        *LIST,
    ],
    "printers:printer_detail": ["tab"],
    "printers:printer_action": ["next"],
    "printers:printer_location": ["devices", "next"],
    "printers:refresh_status": ["devices"],
    "meters:meter_list": ["device", "status", "q", *LIST],
    "meters:meter_enter": [],
    "meters:meter_report": ["month", "start", "end", "export", "page"],
    "supplies:order_list": ["status", "origin", "device", "page", "per_page"],
    "supplies:order_detail": [],
    "supplies:order_start": ["device", "q", "page", "per_page"],
    "supplies:order_device": [],
    "supplies:cart": [],
    "supplies:checkout": [],
    "supplies:supply_report": ["sort", "export", "page"],
    "tickets:ticket_list": ["state", "service", "device", "site", "origin", "since", "until", *LIST],
    "tickets:ticket_new": ["device", "tab", "t-page", "t-per_page", "t-sort"],
    "tickets:ticket_new_device": ["q", *LIST],
    "tickets:ticket_new_details": ["device", "user_service"],
    "tickets:application_options": ["category"],
    "tickets:ticket_detail": [],
    "documents:document_list": ["q", "category", "page", "per_page"],
    "documents:document_download": [],
}
# Every view also gets all of these at once (a view that reads one unlisted would meet it).
COMMON = ["page", "per_page", "sort", "q", "export"]
# Query strings a view needs to show its real content (so that the hostile value meets it).
BASE_QUERY = {
    "printers:refresh_status": "devices={device}",
    "printers:printer_location": "devices={device}",
    "tickets:ticket_new_details": "device={device}",
    "tickets:application_options": "category=1",
}
# Export links: each hostile value is also tried with the CSV export.
EXPORTS = {"printers:printer_list", "meters:meter_report", "supplies:supply_report"}
# Admin changelist parameters (search, page, ordering, show all) and a filter's.
ADMIN_PARAMS = ["q", "p", "o"]
ADMIN_HOSTILE = ["", "-1", "9223372036854775808", "abc", "\x00", "%_\\", "x" * 3000]


def portal_urls():
    """(name, route, path parameter names) of every URL outside the admin and static files."""
    from django.urls import URLPattern, URLResolver, get_resolver

    found = []

    def walk(patterns, prefix="", namespace=""):
        for p in patterns:
            if isinstance(p, URLResolver):
                ns = p.namespace or namespace
                if ns == "admin":
                    continue
                walk(p.url_patterns, prefix + str(p.pattern), ns)
            elif isinstance(p, URLPattern) and p.name:
                name = f"{namespace}:{p.name}" if namespace else p.name
                found.append((name, prefix + str(p.pattern), sorted(p.pattern.converters)))

    walk(get_resolver().url_patterns)
    return found


def build_world() -> dict:
    """A fleet with data of every kind: devices with states, supplies and reads, tickets,
    an order, a document; a help desk, a fleet manager and a plain user."""
    from datetime import timedelta

    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.utils import timezone

    from accounts import roles
    from accounts.models import Account, Site, User
    from documents.models import Document, ExternalLink
    from meters.models import MeterRead
    from supplies.models import CartLine, ConsumableItem
    from supplies.services import orders_place_from_cart
    from tests import factories

    parent = Account.objects.create(name="Walk Cars")
    account = Account.objects.create(name="Walk Cars / London", parent=parent)
    site = Site.objects.create(account=account, name="Walk HQ", city="London", country="UK")

    def user(email, role=None, **extra):
        made = User.objects.create_user(
            username=email, email=email, password="Walk-Pass-42", language="en", **extra
        )
        if role:
            made.groups.add(roles.role_group(role))
        return made

    helpdesk = user("helpdesk@walk.example", is_staff=True, is_superuser=True)
    manager = user("manager@walk.example", roles.FLEET_MANAGER, account=parent, default_site=site)
    plain = user("user@walk.example", roles.USER, account=account, default_site=site)
    now = timezone.now()
    devices = [
        factories.device(
            account,
            site,
            state=state,
            levels={"black": 40, "cyan": 5},
            total=1000 * i,
            managed_by_snmp=False,
        )
        for i, state in enumerate(["ok", "warning", "error"], start=1)
    ]
    for device in devices:
        for months in (3, 2, 1, 0):
            MeterRead.objects.create(
                device=device,
                counter="total",
                value=10000 - months * 1000,
                read_at=now - timedelta(days=30 * months + 1),
                source="manual",
            )
    factories.ticket(account, devices[0], summary="Paper jam")
    factories.ticket(account, devices[1], state="in_progress")
    item = ConsumableItem.objects.create(
        part_number="WALK1", description="Toner", type="toner", colour="black", generic=True
    )
    CartLine.objects.create(user=manager, device=devices[0], item=item, quantity=1)
    order = orders_place_from_cart(
        user=manager,
        ship_to={"contact_name": "A", "contact_phone": "0123", "street": "s", "city": "c", "country": "x"},
    )[0]
    CartLine.objects.create(user=manager, device=devices[1], item=item, quantity=2)
    document = Document.objects.create(
        title="Walk guide", category="Guides", file=SimpleUploadedFile("guide.pdf", b"%PDF-1.4 walk")
    )
    document.accounts.add(account)
    ExternalLink.objects.create(title="Walk link", url="https://example.com/")
    from tickets.models import Ticket

    return {
        "users": {"helpdesk": helpdesk, "manager": manager, "user": plain},
        "device": devices[0],
        "ticket": Ticket.objects.filter(account=account).first(),
        "order": order,
        "document": document,
    }


def path_kwargs(name: str, params: list[str], world: dict) -> dict:
    by_name = {
        "tickets:ticket_detail": {"number": world["ticket"].number},
        "supplies:order_detail": {"number": world["order"].number},
        "documents:document_download": {"pk": world["document"].pk},
        "collector:command_complete": {"command_id": 1},
    }
    if name in by_name:
        return by_name[name]
    if params == ["pk"]:
        return {"pk": world["device"].pk}
    assert not params, f"{name}: give its path parameters {params} in tests/security/hostile_walk.py"
    return {}


def portal_requests(world: dict, *, each: bool = True) -> list[str]:
    """Every portal GET this walk makes: each parameter with each hostile value (``each``),
    all of a view's parameters at once, the exports, and hostile ids in the path."""
    from urllib.parse import quote, urlencode

    from django.urls import reverse

    result = []
    for name, _route, params in portal_urls():
        kwargs = path_kwargs(name, params, world)
        base = reverse(name, kwargs=kwargs)
        fixed = BASE_QUERY.get(name, "").format(device=world["device"].pk)
        names = PARAMS[name]
        for value in HOSTILE:
            for param in names if each else []:
                query = urlencode([(param, value)])
                result.append(f"{base}?{'&'.join(filter(None, [fixed, query]))}")
            every = urlencode([(param, value) for param in dict.fromkeys(names + COMMON) if param != "next"])
            result.append(f"{base}?{'&'.join(filter(None, [fixed, every]))}")
            if name in EXPORTS:
                result.append(f"{base}?{'&'.join(filter(None, [fixed, every]))}&export=csv")
        for key in kwargs:
            texts = PATH_IDS if key == "pk" else PATH_IDS + PATH_TEXTS
            for text in texts:
                raw = str(kwargs[key])
                result.append(
                    base.replace(f"/{quote(raw)}/", f"/{text if text.startswith('%') else quote(text)}/")
                )
    return result


def admin_requests(world: dict) -> list[str]:
    """The help desk's admin: every changelist with hostile search, page, ordering and
    filter values (Django's own filters, all at once); every change, history and delete
    page of an existing object and of ids that cannot exist."""
    from urllib.parse import urlencode

    from django.contrib import admin
    from django.urls import reverse

    result = []
    for model, model_admin in admin.site._registry.items():
        info = (model._meta.app_label, model._meta.model_name)
        changelist = reverse("admin:%s_%s_changelist" % info)
        result.append(changelist)
        filters = []
        for entry in model_admin.list_filter:
            field = entry[0] if isinstance(entry, tuple) else entry
            filters += [f"{field}__exact", f"{field}__id__exact", f"{field}__isnull"]
        for value in ADMIN_HOSTILE:
            for param in ADMIN_PARAMS:
                result.append(f"{changelist}?{urlencode([(param, value)])}")
            if filters:
                result.append(f"{changelist}?{urlencode([(param, value) for param in filters])}")
        result.append(reverse("admin:%s_%s_add" % info))
        obj = model._default_manager.order_by("pk").first()
        ids = ([str(obj.pk)] if obj is not None else []) + [BIG_ID, "abc", "-1"]
        for object_id in ids:
            for view in ("change", "history", "delete"):
                result.append(reverse(f"admin:%s_%s_{view}" % info, args=[object_id]))
    return result


def walk(client, urls) -> list[str]:
    """Request each URL (reading streamed bodies to the end); what was a 500 or raised."""
    failures = []
    for url in urls:
        try:
            response = client.get(url)
            if response.streaming:
                b"".join(response.streaming_content)
            status = response.status_code
        except Exception as exc:  # the test client re-raises a view's exception
            failures.append(f"{url[:200]!r}: {type(exc).__name__}: {str(exc)[:200]}")
            continue
        if status >= 500:
            failures.append(f"{url[:200]!r}: {status}")
    return failures


def walk_as(role: str, world: dict, *, each: bool | None = None) -> list[str]:
    """By default the fleet manager (every right, several accounts) tries each parameter
    alone with each value; the help desk and the plain user all of a view's parameters at
    once (``each``); the help desk also walks the admin."""
    from django.test import Client

    client = Client()
    client.force_login(world["users"][role])
    urls = portal_requests(world, each=role == "manager" if each is None else each)
    if role == "helpdesk":
        urls += admin_requests(world)
    return [f"{role} {failure}" for failure in walk(client, urls)]


def main() -> int:
    """Run against the database of DATABASE_URL (meant for a fresh SQLite file): every role
    with all of a view's parameters at once, or each parameter alone with ``--each``."""
    import os

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fmp.settings")
    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.test.utils import setup_test_environment

    setup_test_environment()
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    call_command("migrate", interactive=False, verbosity=0)
    world = build_world()
    failures = []
    for role in ("helpdesk", "manager", "user"):
        failures += walk_as(role, world, each="--each" in sys.argv)
    print(f"vendor={django.db.connection.vendor} failures={len(failures)}")
    for failure in failures:
        print(failure)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
