"""Texts the portal writes (automatic tickets, order reasons, command results, event keys)
are read in the reader's language, in e-mails in each recipient's, and dates in the admin
in the configured time zone (fmp.texts)."""

import importlib
from datetime import UTC, datetime, timedelta

import pytest
from django.apps import apps
from django.core import mail
from django.test import Client
from django.utils import timezone, translation

from printers.models import DeviceCommand, DeviceCondition, DeviceEvent, PollRun, Supply
from supplies import services as supplies_services
from supplies.models import ConsumableItem, Order, OrderEvent
from tests import factories
from tests.conftest import make_user
from tickets import services
from tickets.models import Ticket, TicketEvent

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def printer(account, site):
    return factories.device(account, site, serial="813000305", state="error", notifications_enabled=True)


@pytest.fixture
def readers(account, site):
    """One reader of each language in the account, both wanting automatic-ticket e-mails."""
    return {
        language: make_user(
            f"{language}@abc-cars.example", account=account, language=language, default_site=site
        )
        for language in ("fr", "en")
    }


def open_automatic_ticket(printer, code="jammed") -> Ticket:
    condition = DeviceCondition.objects.create(
        device=printer, code=code, severity="error", raised_at=timezone.now()
    )
    services.monitoring_conditions_handle([condition], [])
    return Ticket.objects.get(device=printer, condition_code=code)


@pytest.mark.parametrize(
    "server, writes, reader, shown, hidden",
    [
        ("fr", "fr", "en", "Paper jam", "Bourrage papier"),
        ("en", "en", "fr", "Bourrage papier", "Paper jam"),
    ],
)
def test_an_automatic_ticket_is_read_in_the_readers_language_whatever_the_server_wrote(
    settings, printer, readers, server, writes, reader, shown, hidden
):
    settings.LANGUAGE_CODE = server
    with translation.override(writes):  # the poller's language when it opened the ticket
        ticket = open_automatic_ticket(printer)
    client = client_for(readers[reader])
    pages = [
        client.get("/tickets/").content.decode(),
        client.get(f"/tickets/{ticket.number}/").content.decode(),
        client.get(f"/printers/{printer.pk}/?tab=incidents").content.decode(),
    ]
    for page in pages:
        assert shown in page and hidden not in page


def test_each_recipient_gets_the_automatic_ticket_in_their_language(
    printer, readers, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        open_automatic_ticket(printer, "outputTrayMissing")
    by_recipient = {message.to[0]: message for message in mail.outbox}
    english, french = by_recipient["en@abc-cars.example"], by_recipient["fr@abc-cars.example"]
    assert "Output tray missing" in english.subject and "Output tray missing" in english.body
    assert "Bac de sortie" in french.subject and "Output tray missing" not in french.body + french.subject


def test_a_note_the_portal_adds_to_a_ticket_is_read_in_the_readers_language(printer, readers):
    from fmp.texts import Text

    ticket = open_automatic_ticket(printer, "jammed")
    services.ticket_comment_add(
        ticket=ticket, author=None, text=Text("tickets.automatic.condition_added", condition="doorOpen")
    )
    page = client_for(readers["en"]).get(f"/tickets/{ticket.number}/").content.decode()
    assert "The device also reports: Door open" in page and "doorOpen" not in page
    page = client_for(readers["fr"]).get(f"/tickets/{ticket.number}/").content.decode()
    assert "Porte ouverte" in page and "Door open" not in page


def test_text_typed_by_a_person_is_kept_as_typed(user_client, plain_user, printer):
    services.ticket_comment_add(
        ticket=factories.ticket(printer.account, printer), author=plain_user, text="Fin de papier ?"
    )
    event = TicketEvent.objects.get(text="Fin de papier ?")
    assert event.text_code is None
    with translation.override("en"):
        assert event.text_shown == "Fin de papier ?"


def test_the_proactive_order_reason_is_read_in_the_readers_language(account, site, readers, settings):
    settings.FMP_SUPPLY_ORDER_BELOW_PERCENT = 10
    model = factories.device_model("ColorQube 9203")
    device = factories.device(account, site, model=model, state="ok", levels={"black": 8})
    Supply.objects.filter(device=device).update(description="Black Toner", updated_at=timezone.now())
    item = ConsumableItem.objects.create(
        part_number="108R", description="Black", type="toner", colour="black"
    )
    item.compatible_models.add(model)
    with translation.override("fr"):
        (order,) = supplies_services.proactive_orders_place()
    english = client_for(readers["en"]).get(f"/supplies/orders/{order.number}/").content.decode()
    french = client_for(readers["fr"]).get(f"/supplies/orders/{order.number}/").content.decode()
    french = french.replace("\u202f", " ").replace("\xa0", " ")  # French percent spacing
    assert "Black Toner at 8%" in english and "Black Toner à 8" not in english  # the percent per language
    assert "Black Toner à 8 %" in french
    event = OrderEvent.objects.get(order=order, key="supplies.order.automatic")
    with translation.override("en"):
        assert event.note_shown == "Black Toner at 8%" and event.label == "Order placed automatically"


# --- the admin ------------------------------------------------------------------------------


@pytest.fixture
def helpdesk_en(helpdesk):
    helpdesk.language = "en"
    helpdesk.save(update_fields=["language"])
    return client_for(helpdesk)


def test_the_admin_shows_event_keys_as_labels_with_their_details(helpdesk_en, printer, account, site):
    DeviceEvent.objects.create(
        device=printer, key="printers.device.location_changed", data={"old": "Hall", "new": "Floor 2"}
    )
    page = helpdesk_en.get("/admin/printers/deviceevent/").content.decode()
    assert "Location changed" in page and "From “Hall” to “Floor 2”" in page
    assert ">printers.device.location_changed<" not in page  # the filter offers the label too
    order = Order.objects.create(
        number="O1",
        account=account,
        device=printer,
        site=site,
        contact_name="x",
        contact_phone="x",
        street="x",
        city="x",
        country="x",
    )
    OrderEvent.objects.create(order=order, key="supplies.order.placed")
    page = helpdesk_en.get(f"/admin/supplies/order/{order.pk}/change/").content.decode()
    assert "Order placed" in page and "supplies.order.placed" not in page


def test_the_admin_dates_are_in_the_configured_time_zone_not_utc(helpdesk_en, printer, settings):
    settings.TIME_ZONE = "Europe/Paris"
    ticket = open_automatic_ticket(printer)
    TicketEvent.objects.filter(ticket=ticket).update(at=datetime(2026, 6, 1, 10, 5, tzinfo=UTC))
    page = helpdesk_en.get(f"/admin/tickets/ticket/{ticket.pk}/change/").content.decode()
    assert "12:05" in page and "10:05" not in page  # Paris is UTC+2 in June
    assert "Paper jam" in page  # the summary in the reader's language, in the form too


def test_the_help_desk_editing_a_generated_summary_makes_it_typed_text(helpdesk, printer):
    ticket = open_automatic_ticket(printer)
    ticket.summary = "Paper out, tray 2 broken"
    from tickets.admin import TicketForm

    form = TicketForm(
        data={"summary": "Paper out, tray 2 broken", "description": ticket.description_shown}, instance=ticket
    )
    form.fields = {name: form.fields[name] for name in ("summary", "description")}
    assert form.is_valid(), form.errors
    saved = form.save()
    assert saved.summary_code is None and saved.summary == "Paper out, tray 2 broken"
    assert saved.description_code is not None  # untouched: still the portal's


# --- existing rows ---------------------------------------------------------------------------


def migrate(app: str, name: str) -> None:
    importlib.import_module(f"{app}.migrations.{name}").forwards(apps, None)


def test_the_migration_maps_old_automatic_tickets_back_to_codes(printer, account):
    french = factories.ticket(
        account,
        printer,
        summary="Fin de papier",
        description="Fin de papier (noPaper)",
        origin="monitoring",
        condition_code="noPaper",
    )
    english = factories.ticket(
        account,
        factories.device(account),  # one open automatic ticket per device
        summary="Paper jam",
        description="Paper jam (jammed)",
        origin="monitoring",
        condition_code="jammed",
    )
    edited = factories.ticket(
        account,
        factories.device(account),
        summary="Bac 2 cassé",
        origin="monitoring",
        condition_code="inputTrayMissing",
    )
    collector = factories.ticket(
        account,
        summary="Le collecteur sur site Box ne répond plus",
        description=(
            "Le collecteur sur site Box (hôte h1, identifiant abc) n'a pas contacté le portail depuis le "
            "2026-11-30 10:00 : les imprimantes qu'il interroge ne sont plus surveillées. Vérifiez que la "
            "machine est allumée et qu'elle peut joindre le portail (HTTPS sortant)."
        ),
        origin="monitoring",
        condition_code="collector_unresponsive",
    )
    migrate("tickets", "0006_generated_texts_existing")
    for ticket in (french, english, edited, collector):
        ticket.refresh_from_db()
    with translation.override("en"):
        assert (french.summary_shown, french.description_shown) == ("Paper out", "Paper out (noPaper)")
        assert collector.summary_shown == "Site collector Box is not responding"
        assert (
            "(host h1, id abc) has not contacted the portal since 11/30/2026 10 a.m."
            in collector.description_shown
        )
        assert edited.summary_code is None and edited.summary_shown == "Bac 2 cassé"
    with translation.override("fr"):
        assert english.summary_shown == "Bourrage papier"


def test_the_migration_maps_old_reasons_results_and_notes(printer, account, site):
    reason = "Toner noir à 8 %, environ 6 jours restants (données anciennes : dernier relevé il y a 20 jours)"
    order = Order.objects.create(
        number="O2",
        account=account,
        device=printer,
        site=site,
        origin="automatic",
        reason=reason,
        contact_name="-",
        contact_phone="-",
        street="-",
        city="-",
        country="-",
    )
    OrderEvent.objects.create(
        order=order, key="supplies.order.automatic", note="Black at 3 %, less than a day left"
    )
    typed = Order.objects.create(
        number="O3",
        account=account,
        device=printer,
        site=site,
        origin="automatic",
        supply_key="supply-2",
        reason="Urgent",
        contact_name="-",
        contact_phone="-",
        street="-",
        city="-",
        country="-",
    )
    from collectors.models import Collector

    collector = Collector.objects.create(account=account, name="Box")
    commands = [
        DeviceCommand.objects.create(device=printer, collector=collector, kind="reset", result=text)
        for text in ("the collector was revoked", "l’appareil a refusé : noAccess", "Traceback …")
    ]
    run = PollRun.objects.create(kind="discovery", note="3 new, 1 moved")
    migrate("supplies", "0005_generated_texts_existing")
    migrate("printers", "0011_generated_texts_existing")
    for row in (order, typed, run, *commands):
        row.refresh_from_db()
    with translation.override("en"):
        assert (
            order.reason_shown == "Toner noir at 8%, about 6 days left (old data: last reading 20 days ago)"
        )
        assert typed.reason_code is None and typed.reason_shown == "Urgent"
        assert OrderEvent.objects.get(order=order).note_code["params"] == {
            "supply": "Black",
            "percent": 3,
            "days_left": 0,
        }
        assert [c.result_shown for c in commands] == [
            "the collector was revoked",
            "the device refused: noAccess",
            "Traceback …",
        ]
        assert run.note_shown == "3 new, 1 moved"
    with translation.override("fr"):
        assert commands[0].result_shown == "le collecteur a été révoqué"
        assert OrderEvent.objects.get(order=order).note_shown == "Black à 3\u202f%, moins d’un jour restant"


def test_dates_in_generated_texts_follow_the_readers_locale_and_time_zone(settings):
    from fmp.texts import Text

    settings.TIME_ZONE = "Europe/Paris"
    text = Text(
        "tickets.collector.unresponsive.description",
        name="Box",
        host="h",
        uid="u",
        last=datetime(2026, 1, 5, 8, 30, tzinfo=UTC) + timedelta(0),
    )
    with translation.override("en"):
        assert "since 01/05/2026 9:30 a.m." in str(text)
    with translation.override("fr"):
        assert "05/01/2026 09:30" in str(text)


def test_the_admin_pages_of_events_runs_and_conditions_read_in_the_readers_language(helpdesk_en, printer):
    from fmp.texts import Text, text_fields

    event = DeviceEvent.objects.create(
        device=printer, key="printers.device.contract_changed", data={"under_contract": False}
    )
    run = PollRun.objects.create(
        kind="discovery", **text_fields("note", Text("printers.run.discovery", new=2, moved=1))
    )
    DeviceCondition.objects.create(
        device=printer, code="doorOpen", severity="warning", raised_at=timezone.now()
    )
    assert (
        "Now out of contract"
        in helpdesk_en.get(f"/admin/printers/deviceevent/{event.pk}/change/").content.decode()
    )
    assert "2 new, 1 moved" in helpdesk_en.get(f"/admin/printers/pollrun/{run.pk}/change/").content.decode()
    assert "Door open" in helpdesk_en.get("/admin/printers/devicecondition/").content.decode()
    with translation.override("fr"):
        assert run.note_shown == "2 nouveau(x), 1 déplacé(s)"


def test_why_a_poll_failed_is_read_in_the_readers_language(printer, readers):
    """The engine's own message for a device that does not answer (a real poll of a port
    where nothing listens) is worded for each reader on the Remote diagnostics tab."""
    import socket

    from fmp_snmp.aio import run_sync
    from fmp_snmp.client import SnmpClient
    from fmp_snmp.probe import probe
    from fmp_snmp.types import SnmpTarget
    from printers.models import PollAttempt

    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    target = SnmpTarget("127.0.0.1", port=port, timeout=0.2, retries=0)

    async def poll():
        async with SnmpClient() as client:
            return await probe(client, target)

    result = run_sync(poll)
    assert not result.ok
    PollAttempt.objects.create(device=printer, started_at=timezone.now(), ok=False, error=result.error)
    english = client_for(readers["en"]).get(f"/printers/{printer.pk}/?tab=diagnostics").content.decode()
    french = client_for(readers["fr"]).get(f"/printers/{printer.pk}/?tab=diagnostics").content.decode()
    assert f"no answer from 127.0.0.1:{port} within 0.2 s" in english
    assert f"pas de réponse de 127.0.0.1:{port} en 0.2 s" in french


def test_every_code_and_event_key_the_portal_writes_has_its_wording():
    """A code or event key written anywhere in the apps is registered (a label, a template):
    none reaches a reader as "supplies.order.placed"."""
    import re
    from pathlib import Path

    from fmp.texts import registered
    from supplies.choices import OrderStatus

    root = Path(__file__).resolve().parent.parent
    written = set()
    for app in ("accounts", "collectors", "meters", "printers", "supplies", "tickets", "documents", "fmp"):
        for path in (root / app).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            source = path.read_text()
            written |= set(re.findall(r'\bText\(\s*"([a-z_.]+)"', source))
            written |= set(re.findall(r'\bkey="([a-z_]+\.[a-z_.]+)"', source))
    written |= {f"supplies.order.{status}" for status in OrderStatus.values}  # key=f"supplies.order.{status}"
    assert {"tickets.automatic.summary", "supplies.order.placed", "printers.device.reset"} <= written
    assert sorted(code for code in written if not registered(code)) == []
