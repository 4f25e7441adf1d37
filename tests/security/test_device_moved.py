"""Tenancy over time: the help desk moves a device from account A to account B.

B gets the device and its telemetry (levels, counters, state), never A's history: A's
tickets and their comments, A's manual meter reads (who read, why), A's orders, A's pages
on B's bill. A no longer sees the device but keeps its own records of it."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from html.parser import HTMLParser

import pytest
from django.test import Client
from django.utils import timezone

from accounts import roles
from meters.models import MeterRead
from meters.services import meter_read_submit
from printers.models import CounterSample, DeviceCondition, Supply
from supplies import services as supplies_services
from supplies.models import CartLine, ConsumableItem, Order
from tests import factories
from tests.conftest import make_user
from tickets import services as tickets_services
from tickets.models import Ticket, TicketEvent

pytestmark = pytest.mark.django_db

TICKET_SECRET = "TICKET-SUMMARY-A-7731"
COMMENT_SECRET = "COMMENT-OF-A-7732"
READ_SECRET = "READ-NOTE-OF-A-7733"
ORDER_SECRET = "ORDER-CONTACT-A-7734"


class _FormFields(HTMLParser):
    """The name/value pairs a browser would post from the page's forms."""

    def __init__(self):
        super().__init__()
        self.data: list[tuple[str, str]] = []
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        name = a.get("name")
        if tag == "input" and name and a.get("type") not in ("submit", "button", "file"):
            if a.get("type") in ("checkbox", "radio") and "checked" not in a:
                return
            self.data.append((name, a.get("value") or ("on" if a.get("type") == "checkbox" else "")))
        elif tag == "select" and name:
            self._select = name
        elif tag == "option" and self._select and "selected" in a:
            self.data.append((self._select, a.get("value", "")))
        elif tag == "textarea" and name:
            self._textarea = name
            self.data.append((name, ""))

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data):
        if self._textarea:
            name, value = self.data.pop()
            self.data.append((name, value + data))


def admin_change(client, url: str, changes: dict) -> None:
    """Change fields on an admin page as the help desk does: the form as shown, edited, saved."""
    page = client.get(url)
    assert page.status_code == 200
    parser = _FormFields()
    parser.feed(page.content.decode())
    data: dict[str, list[str]] = {}
    for name, value in parser.data:
        data.setdefault(name, []).append(value)
    data.update({k: [str(v)] for k, v in changes.items()})
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:3000]


@pytest.fixture
def b_users(other_account, other_site):
    b_manager = make_user(
        "manager@other.example", account=other_account, role=roles.FLEET_MANAGER, language="en"
    )
    b_user = make_user("reader@other.example", account=other_account, role=roles.USER, language="en")
    return b_manager, b_user


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def moved(account, site, manager, other_account, other_site, helpdesk, b_users):
    """A device of account A with A's history, then moved to account B in the admin."""
    model = factories.device_model("WorkCentre 3550", colour=False)
    device = factories.device(
        account,
        site,
        serial="SN-MOVED-1",
        model=model,
        state="error",
        levels={"black": 37},  # then low: 3 %
        total=9100,
        conditions=["jammed"],
        managed_by_snmp=False,
        under_contract=True,
        primary_contact_email="marta@abc-cars.example",
    )
    now = timezone.now()
    CounterSample.objects.create(
        device=device, counter="total", observed_at=now - timedelta(days=3), value=9100
    )
    ticket = factories.ticket(account, device, summary=TICKET_SECRET, requester=manager)
    TicketEvent.objects.create(ticket=ticket, kind="comment", author=manager, text=COMMENT_SECRET)
    jam = DeviceCondition.objects.create(device=device, code="jammed", severity="error", raised_at=now)
    auto_ticket = tickets_services.ticket_open_for_condition(jam)
    assert auto_ticket is not None and auto_ticket.account == account
    MeterRead.objects.create(
        device=device, counter="total", value=4000, read_at=now - timedelta(days=2), source="automatic"
    )
    read = meter_read_submit(
        device=device,
        values={"total": 4242},
        by=manager,
        description=READ_SECRET,
        at=now - timedelta(days=1),
    )[0]
    item = ConsumableItem.objects.create(
        part_number="WC-K", description="WC toner", type="toner", colour="black"
    )
    item.compatible_models.add(model)
    Supply.objects.filter(device=device).update(percent=3)
    (auto_order,) = supplies_services.proactive_orders_place(device_ids=[device.pk])
    assert auto_order.account == account and auto_order.origin == "automatic"
    CartLine.objects.create(user=manager, device=device, item=item, quantity=1)
    order = supplies_services.orders_place_from_cart(
        user=manager,
        ship_to={
            "contact_name": ORDER_SECRET,
            "contact_phone": "1",
            "street": "s",
            "city": "c",
            "country": "x",
        },
    )[0]

    admin_change(
        logged_in(helpdesk),
        f"/admin/printers/device/{device.pk}/change/",
        {"account": other_account.pk, "site": other_site.pk},
    )
    device.refresh_from_db()
    assert device.account == other_account and device.site == other_site
    assert device.primary_contact_email == ""  # A's contact is not B's
    b_manager, _b_user = b_users
    meter_read_submit(device=device, values={"total": 5555}, by=b_manager, description="B's first read")
    return {
        "device": device,
        "ticket": ticket,
        "auto_ticket": auto_ticket,
        "read": read,
        "order": order,
        "auto_order": auto_order,
        "jam": jam,
    }


def body(response) -> str:
    return (b"".join(response.streaming_content) if response.streaming else response.content).decode()


A_SECRETS = (TICKET_SECRET, COMMENT_SECRET, READ_SECRET, ORDER_SECRET, "Marta", "Martinez")


@pytest.mark.parametrize("who", ["manager", "user"])
def test_the_new_account_sees_the_device_but_none_of_the_previous_accounts_history(moved, b_users, who):
    client = logged_in(b_users[0] if who == "manager" else b_users[1])
    device, ticket, auto_ticket = moved["device"], moved["ticket"], moved["auto_ticket"]
    pages = [
        f"/printers/{device.pk}/?tab=incidents",
        "/printers/",
        "/tickets/",
        f"/tickets/new/details/?device={device.pk}",
        f"/meters/{device.pk}/",
        "/meters/",
        "/",
    ]
    if who == "manager":
        pages += ["/supplies/orders/", f"/supplies/order/{device.pk}/"]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        text = body(response)
        for secret in (*A_SECRETS, ticket.number, auto_ticket.number, moved["order"].number):
            assert secret not in text, (url, secret)
        assert moved["auto_order"].number not in text, url
    incidents = body(client.get(f"/printers/{device.pk}/?tab=incidents"))
    assert 'data-testid="incident-row"' not in incidents
    # The grid's incident badge and filter: no incident of theirs on it yet.
    assert "SN-MOVED-1" in body(client.get("/printers/?incident=none"))
    assert "SN-MOVED-1" not in body(client.get("/printers/?incident=new"))
    for url in (f"/tickets/{ticket.number}/", f"/tickets/{auto_ticket.number}/"):
        assert client.get(url).status_code == 404, url
    for order in (moved["order"], moved["auto_order"]):
        assert client.get(f"/supplies/orders/{order.number}/").status_code in (403, 404)


def test_the_new_account_keeps_the_telemetry_and_its_own_reads(moved, b_users):
    client = logged_in(b_users[1])
    device = moved["device"]
    supplies = body(client.get(f"/printers/{device.pk}/?tab=supplies"))
    assert 'data-testid="supply-row"' in supplies and 'aria-valuenow="3"' in supplies
    counters = body(client.get(f"/printers/{device.pk}/?tab=counters"))
    assert "9,100" in counters or "9100" in counters
    meters = body(client.get(f"/meters/{device.pk}/"))
    assert "B&#x27;s first read" in meters or "B's first read" in meters
    # The physical counter is what a new read is judged against: A's value stays its floor.
    refused = client.post(f"/meters/{device.pk}/", {"counter_total": "4300"})
    assert refused.status_code == 200 and "greater than the previous read" in body(refused)


def test_the_new_account_is_not_billed_for_the_previous_accounts_pages(moved, b_users, manager):
    device = moved["device"]
    start = (timezone.localdate() - timedelta(days=10)).isoformat()
    end = timezone.localdate().isoformat()
    b_client = logged_in(b_users[1])
    MeterRead.objects.create(
        device=device, counter="total", value=5600, read_at=timezone.now(), source="manual"
    )

    def pages(client) -> dict[str, list[str]]:
        response = client.get(f"/meters/report/?start={start}&end={end}&export=csv")
        text = body(response).lstrip("\ufeff")
        # Each user's own language: semicolons for French users, commas for English ones.
        rows = list(csv.reader(io.StringIO(text), csv.Sniffer().sniff(text.splitlines()[0], ";,")))
        return {row[0]: row for row in rows[1:]}

    b_rows = pages(b_client)
    assert b_rows["SN-MOVED-1"][11] == "45"  # 5555 → 5600: B's own reads only
    a_rows = pages(logged_in(manager))
    assert a_rows["SN-MOVED-1"][11] == "242"  # 4000 → 4242: A's pages, before the move
    assert a_rows["SN-MOVED-1"][2] == ""  # the device's site is B's now: not shown to A
    # The meter read status is B's: B read it today.
    status = body(b_client.get(f"/printers/{device.pk}/?tab=status"))
    assert "Up to date" in status


def test_the_previous_account_keeps_its_records_but_no_longer_sees_the_device(moved, manager, plain_user):
    device, ticket = moved["device"], moved["ticket"]
    for user in (manager, plain_user):
        client = logged_in(user)
        assert client.get(f"/printers/{device.pk}/").status_code == 404
        assert client.get(f"/meters/{device.pk}/").status_code == 404
        assert "SN-MOVED-1" not in body(client.get("/printers/"))
        listing = body(client.get("/tickets/"))
        assert ticket.number in listing and moved["auto_ticket"].number in listing
        detail = client.get(f"/tickets/{ticket.number}/")
        assert detail.status_code == 200
        text = body(detail)
        assert COMMENT_SECRET in text and "SN-MOVED-1" in text
        assert f"/printers/{device.pk}/" not in text  # named, no longer a link
        assert "5555" not in body(client.get("/tickets/"))
    client = logged_in(manager)
    orders = body(client.get("/supplies/orders/"))
    assert moved["order"].number in orders and moved["auto_order"].number in orders
    detail = body(client.get(f"/supplies/orders/{moved['order'].number}/"))
    assert ORDER_SECRET in detail and f"/printers/{device.pk}/" not in detail


def test_the_new_account_gets_its_own_automatic_ticket_and_order(moved, other_account, account):
    device = moved["device"]
    # A's automatic ticket and order are still open; the device, now B's, is still jammed
    # and low on toner: B hears of it in its own ticket and gets its own order.
    ticket = tickets_services.ticket_open_for_condition(moved["jam"])
    assert ticket is not None and ticket.account == other_account
    assert tickets_services.ticket_open_for_condition(moved["jam"]) is None  # one per account
    (order,) = supplies_services.proactive_orders_place(device_ids=[device.pk])
    assert order.account == other_account and order.device == device
    assert supplies_services.proactive_orders_place(device_ids=[device.pk]) == []
    assert Ticket.objects.get(pk=moved["auto_ticket"].pk).account == account
    assert Order.objects.get(pk=moved["auto_order"].pk).account == account
    # The condition clears: B's ticket notes it and closes; A's learns nothing of B's
    # printer (no event, still open, for the help desk to close).
    moved["jam"].cleared_at = timezone.now()
    moved["jam"].save()
    tickets_services.ticket_condition_cleared(moved["jam"])
    assert Ticket.objects.get(pk=ticket.pk).state == "done"
    old = Ticket.objects.get(pk=moved["auto_ticket"].pk)
    assert old.state != "done" and not old.events.filter(kind="condition_cleared").exists()


def test_the_help_desk_sees_both_accounts_history_of_the_device(moved, helpdesk, account, other_account):
    client = logged_in(helpdesk)
    device = moved["device"]
    tickets = body(client.get(f"/admin/tickets/ticket/?q={device.serial_number}"))
    assert moved["ticket"].number in tickets and moved["auto_ticket"].number in tickets
    reads = body(client.get(f"/admin/meters/meterread/?q={device.serial_number}"))
    assert account.name in reads and other_account.name in reads
    assert client.get(f"/admin/meters/meterread/{moved['read'].pk}/change/").status_code == 200
    orders = body(client.get(f"/admin/supplies/order/?q={device.serial_number}"))
    assert moved["order"].number in orders
    # In the portal too: the help desk sees every account's records of the device.
    incidents = body(client.get(f"/printers/{device.pk}/?tab=incidents"))
    assert moved["ticket"].number in incidents
    assert READ_SECRET in body(client.get(f"/meters/{device.pk}/"))


def test_a_correction_stays_with_the_account_of_the_read_it_corrects(moved, helpdesk, account):
    from meters.services import meter_read_correct

    correction = meter_read_correct(original=moved["read"], value=4240, by=helpdesk, reason="typo")
    assert correction.account == account


def test_the_new_account_is_reminded_to_read_a_device_it_has_never_read(
    account, site, manager, other_account, b_users, django_capture_on_commit_callbacks
):
    from django.core import mail

    from meters.services import meter_reminders_send

    device = factories.device(
        account, site, serial="SN-MOVED-2", managed_by_snmp=False, notifications_enabled=True
    )
    meter_read_submit(device=device, values={"total": 100}, by=manager, at=timezone.now() - timedelta(days=2))
    device.account = other_account
    device.save(update_fields=["account"])
    with django_capture_on_commit_callbacks(execute=True):
        assert meter_reminders_send() == 2  # A's fresh read does not stand for B's
    assert {m.to[0] for m in mail.outbox} == {u.email for u in b_users}


def test_the_help_desk_cannot_move_a_device_and_leave_it_on_the_previous_accounts_site(
    account, site, other_account, helpdesk
):
    device = factories.device(account, site, serial="SN-MOVED-3")
    client = logged_in(helpdesk)
    url = f"/admin/printers/device/{device.pk}/change/"
    parser = _FormFields()
    parser.feed(body(client.get(url)))
    data: dict[str, list[str]] = {}
    for name, value in parser.data:
        data.setdefault(name, []).append(value)
    data["account"] = [str(other_account.pk)]
    response = client.post(url, data)
    assert response.status_code == 200  # the form again, with the error on the site
    assert "site" in response.context["adminform"].form.errors
    device.refresh_from_db()
    assert device.account == account
