"""Numbers, percentages and dates follow the reader's language: "1 234" (narrow no-break
space) and "45 %" in French, "1,234" and "45%" in English; dates by the locale's formats."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.template import Context, Template
from django.test import Client
from django.utils import timezone, translation

from accounts.models import User
from fmp.l10n import format_number, format_percent
from meters.models import MeterRead
from printers.models import Device
from tests import factories
from tickets.models import Ticket

pytestmark = pytest.mark.django_db

NNBSP = "\u202f"  # narrow no-break space: French digit groups and "45 %"


def client_in(user, language: str) -> Client:
    User.objects.filter(pk=user.pk).update(language=language)
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize(
    ("language", "pages", "level"),
    [("fr", f"288{NNBSP}145", f"45{NNBSP}%"), ("en", "288,145", "45%")],
)
def test_the_grid_groups_digits_and_writes_percent_as_the_language_does(
    plain_user, account, site, language, pages, level
):
    factories.device(account, site, serial="WRN001", state="warning", levels={"black": 45}, total=288145)
    body = client_in(plain_user, language).get("/printers/").content.decode()
    assert f">{pages}<" in body
    assert f"<small>{level}</small>" in body and f'title="{level}"' in body
    other = f"45{NNBSP}%" if language == "en" else "45%"
    assert f">{other}<" not in body


@pytest.mark.parametrize(("language", "total"), [("fr", f"1{NNBSP}234"), ("en", "1,234")])
def test_the_home_fleet_total_groups_digits_as_the_language_does(plain_user, account, language, total):
    model = factories.device_model()
    Device.objects.bulk_create(
        Device(account=account, model=model, serial_number=f"BULK{i:05d}") for i in range(1234)
    )
    body = client_in(plain_user, language).get("/").content.decode()
    assert f'data-testid="fleet-total">{total}<' in body


@pytest.mark.parametrize(
    ("language", "level", "previous"),
    [("fr", f"8{NNBSP}%", f"Lecture précédente : 1{NNBSP}500"), ("en", "8%", "Previous read: 1,500")],
)
def test_supply_levels_and_the_previous_read_follow_the_language(
    manager, account, site, language, level, previous
):
    printer = factories.device(account, site, serial="813000305", state="ok", levels={"black": 8})
    manual = factories.device(account, site, serial="MANUAL1", managed_by_snmp=False)
    MeterRead.objects.create(
        device=manual,
        counter="total",
        value=1500,
        read_at=timezone.now() - timedelta(days=30),
        source="manual",
    )
    client = client_in(manager, language)
    assert level in client.get(f"/printers/{printer.pk}/?tab=supplies").content.decode()
    assert level in client.get(f"/supplies/order/{printer.pk}/").content.decode()
    assert previous in client.get(f"/meters/{manual.pk}/").content.decode()


@pytest.mark.parametrize(("language", "shown"), [("fr", "05/03/2026 14:30"), ("en", "03/05/2026 2:30 p.m.")])
def test_dates_are_written_in_the_locale_format_and_the_configured_time_zone(
    plain_user, account, site, language, shown
):
    printer = factories.device(account, site, serial="813000305")
    ticket = factories.ticket(account, printer)
    occurred = datetime(2026, 3, 5, 13, 30, tzinfo=UTC)  # 14:30 in Paris
    Ticket.objects.filter(pk=ticket.pk).update(occurred_at=occurred)
    body = client_in(plain_user, language).get(f"/tickets/{ticket.number}/").content.decode()
    assert shown in body


def test_the_french_formats_are_the_portals_and_english_keeps_djangos():
    with translation.override("fr"):
        assert (format_number(1234567), format_percent(45)) == (f"1{NNBSP}234{NNBSP}567", f"45{NNBSP}%")
        assert format_number(2.5, decimals=1) == "2,5"
    with translation.override("en"):
        assert (format_number(1234567), format_percent(45)) == ("1,234,567", "45%")
        assert format_number(2.5, decimals=1) == "2.5"
    template = Template("{% load fmp_format %}{{ level|percent }}|{{ unknown|percent }}")
    for language, shown in (("fr", f"45{NNBSP}%|"), ("en", "45%|")):
        with translation.override(language):
            assert template.render(Context({"level": 45, "unknown": None})) == shown


# --- the templates: one way of writing dates, no digit groups in attributes ----------------

TEMPLATE_DIRS = [Path(settings.BASE_DIR) / "templates", *Path(settings.BASE_DIR).glob("*/templates")]
NAMED_FORMATS = {
    "DATE_FORMAT",
    "DATETIME_FORMAT",
    "SHORT_DATE_FORMAT",
    "SHORT_DATETIME_FORMAT",
    "TIME_FORMAT",
    "YEAR_MONTH_FORMAT",
    "MONTH_DAY_FORMAT",
}


def templates(*, with_python: bool = False):
    """The template files; with ``with_python``, also the modules that hold template code
    (django-tables2's ``TemplateColumn(template_code=...)``)."""
    for folder in TEMPLATE_DIRS:
        for path in folder.rglob("*"):
            if path.suffix in (".html", ".txt") and path.is_file():
                yield path, path.read_text()
    if with_python:
        for app in (
            "accounts",
            "printers",
            "meters",
            "supplies",
            "tickets",
            "documents",
            "collectors",
            "fmp",
        ):
            for path in (Path(settings.BASE_DIR) / app).rglob("*.py"):
                if "migrations" not in path.parts:
                    yield path, path.read_text()


def test_templates_write_dates_with_the_locales_named_formats_only():
    literal = []
    for path, text in templates():
        for match in re.finditer(r"\|(date|time):\s*[\"']([^\"']*)[\"']", text):
            if match.group(2) not in NAMED_FORMATS:
                literal.append(f"{path.name}: {match.group(0)}")
        literal += [f"{path.name}: bare |date" for _ in re.finditer(r"\|date\s*(\||}})", text)]
    assert not literal, literal


def test_templates_put_no_grouped_number_in_an_attribute():
    """With USE_THOUSAND_SEPARATOR, {{ device.pk }} renders "1 234": in a form value, a
    name or a URL that breaks the request. Identifiers in attributes go through |unlocalize."""
    grouped = []
    attribute = re.compile(r'[\w:-]+="([^"]*\{\{[^"]*)"')
    for path, text in templates(with_python=True):
        for value in attribute.findall(text):
            for expr in re.findall(r"\{\{\s*([^}]*?)\s*\}\}", value):
                name, *filters = [part.strip() for part in expr.split("|")]
                last = name.split(".")[-1]
                if (last in ("pk", "id") or last.endswith("_pk")) and not any(
                    f.startswith("unlocalize") for f in filters
                ):
                    grouped.append(f"{path.name}: {{{{ {expr} }}}}")
    assert not grouped, grouped


def test_a_device_with_a_large_id_is_posted_back_whole(manager, account, site):
    """Forms carry the chosen device's id back: 123456 must come back as "123456", not as
    "123 456" (which no view can read)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT setval(pg_get_serial_sequence('printers_device', 'id'), 123455)")
    printer = factories.device(account, site, serial="813000305", state="ok")
    assert printer.pk == 123456
    client = client_in(manager, "fr")
    ticket_page = client.get(f"/tickets/new/details/?device={printer.pk}").content.decode()
    location_page = client.get(f"/printers/location/?devices={printer.pk}").content.decode()
    choice_page = client.get("/tickets/new/device/").content.decode()
    for body in (ticket_page, location_page, choice_page):
        assert re.search(r'name="devices?" value="123456"', body), body
