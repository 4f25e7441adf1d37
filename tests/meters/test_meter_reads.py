"""Meter reads: submission rules, concurrency, counter resets, read status, billing, reminders."""

from datetime import date, datetime, timedelta

import pytest
from django.core import mail
from django.utils import timezone

from meters.models import MeterAnomaly, MeterRead, MeterReminder
from meters.services import (
    MeterReadRefused,
    billing_report,
    meter_anomaly_decide,
    meter_read_correct,
    meter_read_submit,
    meter_reminders_send,
    read_status,
)
from printers.models import Device
from tests import factories
from tests.conftest import run_together

pytestmark = pytest.mark.django_db
TZ = timezone.get_current_timezone()


def at(y, m, d, h=12):
    return timezone.make_aware(datetime(y, m, d, h), TZ)


@pytest.fixture
def mono(account, site):
    return factories.device(
        account,
        site,
        serial="MANUAL1",
        model=factories.device_model("WorkCentre 3550", colour=False),
        managed_by_snmp=False,
    )


@pytest.fixture
def colour(account, site):
    return factories.device(
        account, site, serial="COLOUR1", model=factories.device_model("ColorQube 9203"), managed_by_snmp=False
    )


def read(device, counter, value, when, source="manual"):
    return MeterRead.objects.create(device=device, counter=counter, value=value, read_at=when, source=source)


def test_form_has_one_field_per_counter_of_the_model(user_client, mono, colour):
    assert "counter_black" not in user_client.get(f"/meters/{mono.pk}/").content.decode()
    body = user_client.get(f"/meters/{colour.pk}/").content.decode()
    assert "counter_total" in body and "counter_black" in body and "counter_colour" in body


def test_a_read_is_recorded_and_shown_with_the_latest_reads(user_client, plain_user, mono):
    read(mono, "total", 1000, timezone.now() - timedelta(days=30))
    response = user_client.post(
        f"/meters/{mono.pk}/", {"counter_total": "1500", "description": "Monthly read"}, follow=True
    )
    body = response.content.decode()
    assert ('data-testid="submitted-reads"' in body and "1\u202f500" in body) or "1 500" in body
    new = MeterRead.objects.get(value=1500)
    assert (new.source, new.by, new.description) == ("manual", plain_user, "Monthly read")


@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("fr", "Le compteur Total doit être supérieur à la lecture précédente : 1\u202f000 le"),
        ("en", "The Total counter must be greater than the previous read: 1,000 on"),
    ],
)
def test_a_lower_read_is_refused_with_counter_and_previous_value(client, plain_user, mono, language, message):
    from accounts.models import User

    User.objects.filter(pk=plain_user.pk).update(language=language)
    client.force_login(plain_user)
    read(mono, "total", 1000, timezone.now() - timedelta(days=10))
    body = client.post(f"/meters/{mono.pk}/", {"counter_total": "999"}).content.decode()
    assert message.replace("\u202f", " ") in body.replace("\u202f", " ").replace("\xa0", " ").replace(
        "&nbsp;", " "
    )
    assert not MeterRead.objects.filter(value=999).exists()


def test_an_equal_read_needs_the_no_pages_box(user_client, mono):
    read(mono, "total", 1000, timezone.now() - timedelta(days=10))
    body = user_client.post(f"/meters/{mono.pk}/", {"counter_total": "1000"}).content.decode()
    assert "Aucune page imprimée depuis la lecture précédente" in body
    assert MeterRead.objects.count() == 1
    user_client.post(f"/meters/{mono.pk}/", {"counter_total": "1000", "no_pages": "on"})
    assert MeterRead.objects.count() == 2


def test_an_absurd_jump_asks_for_confirmation(user_client, mono, settings):
    settings.FMP_METER_MAX_PAGES_PER_DAY = 1000
    read(mono, "total", 1000, timezone.now() - timedelta(days=2))
    body = user_client.post(f"/meters/{mono.pk}/", {"counter_total": "900000"}).content.decode()
    assert 'data-testid="confirm-needed"' in body
    assert MeterRead.objects.count() == 1
    user_client.post(f"/meters/{mono.pk}/", {"counter_total": "900000", "confirm": "on"})
    assert MeterRead.objects.filter(value=900000).exists()


@pytest.mark.parametrize(
    ("value", "message"),
    [("abc", "nombre entier"), ("-5", "ne peut pas être négatif"), ("", "Saisissez le compteur total")],
)
def test_bad_input_is_refused_with_a_message(user_client, mono, value, message):
    body = user_client.post(f"/meters/{mono.pk}/", {"counter_total": value}).content.decode()
    assert message in body
    assert not MeterRead.objects.exists()


def test_a_manual_read_is_judged_against_a_newer_automatic_read(mono):
    read(mono, "total", 1000, timezone.now() - timedelta(days=20), source="manual")
    read(mono, "total", 5000, timezone.now() - timedelta(days=1), source="automatic")
    with pytest.raises(MeterReadRefused) as refused:
        meter_read_submit(device=mono, values={"total": 3000}, by=None)
    assert "5" in refused.value.errors["total"]


@pytest.mark.django_db(transaction=True)
def test_two_submissions_at_once_cannot_both_pass_against_the_same_old_value(account, site):
    device = factories.device(account, site, serial="RACE", managed_by_snmp=False)
    read(device, "total", 1000, timezone.now() - timedelta(days=20))
    # Both are above the old 1,000; the second to lock must be judged against the first.
    raw = run_together(
        lambda: meter_read_submit(device=device, values={"total": 1500}, by=None),
        lambda: meter_read_submit(device=device, values={"total": 1200}, by=None),
        atomic=False,
    )
    outcomes = [
        ("refused", value, result.errors) if isinstance(result, MeterReadRefused) else ("ok", value)
        for value, result in zip((1500, 1200), raw, strict=True)
    ]
    assert not [r for r in raw if isinstance(r, Exception) and not isinstance(r, MeterReadRefused)], raw
    values = sorted(MeterRead.objects.filter(device=device).values_list("value", flat=True))
    assert len(outcomes) == 2
    if ("ok", 1500) in outcomes and ("ok", 1200) in outcomes:
        # Only possible if 1,200 went first and 1,500 was then judged against it.
        first = MeterRead.objects.filter(device=device, value=1200).get()
        second = MeterRead.objects.filter(device=device, value=1500).get()
        assert first.read_at <= second.read_at
    else:
        assert ("refused", 1200, outcomes[[o[1] for o in outcomes].index(1200)][2]) in outcomes
        assert values == [1000, 1500]


def test_a_counter_going_backwards_in_polling_is_flagged_not_negative(account, site, colour):
    from fmp_snmp.observation import DeviceObservation
    from printers.services import device_record_observation

    base = timezone.now() - timedelta(days=3)
    device_record_observation(
        device=colour, observation=DeviceObservation(reachable=True, counters={"total": 480000}), at=base
    )
    device_record_observation(
        device=colour,
        observation=DeviceObservation(reachable=True, counters={"total": 1200}),
        at=base + timedelta(days=1),
    )
    device_record_observation(
        device=colour,
        observation=DeviceObservation(reachable=True, counters={"total": 1700}),
        at=base + timedelta(days=2),
    )
    anomaly = MeterAnomaly.objects.get(device=colour)
    assert (anomaly.previous_value, anomaly.new_value, anomaly.state) == (480000, 1200, "open")
    assert MeterRead.objects.get(device=colour, value=1200).below_previous
    period = billing_report(devices=[colour], start=base - timedelta(hours=1), end=timezone.now())[0]
    assert period.counters["total"].pages == 500 and period.counters["total"].check
    meter_anomaly_decide(anomaly=anomaly, replaced=True, by=None)
    period = billing_report(devices=[colour], start=base - timedelta(hours=1), end=timezone.now())[0]
    assert period.counters["total"].pages == 1700 and not period.counters["total"].check


def test_billing_report_arithmetic_on_known_reads(colour, mono):
    for counter, values in {
        "total": (10000, 10600, 11500),
        "black": (8000, 8400, 9000),
        "colour": (2000, 2200, 2500),
    }.items():
        for when, value in zip(
            (at(2026, 9, 28), at(2026, 10, 15), at(2026, 10, 31, 20)), values, strict=True
        ):
            read(colour, counter, value, when)
    read(mono, "total", 500, at(2026, 10, 5))
    read(mono, "total", 900, at(2026, 11, 2))
    from meters.services import month_bounds

    start, end = month_bounds(date(2026, 10, 1))
    usage = {u.device.serial_number: u for u in billing_report(devices=[colour, mono], start=start, end=end)}
    assert (usage["COLOUR1"].mono, usage["COLOUR1"].colour, usage["COLOUR1"].total) == (1000, 500, 1500)
    assert usage["COLOUR1"].counters["total"].start.value == 10000  # the nearest read before the period
    assert usage["MANUAL1"].total == 0 and usage["MANUAL1"].counters["total"].start.value == 500


def test_report_page_and_csv(user_client, colour):
    read(colour, "total", 100, at(2026, 9, 30))
    read(colour, "total", 400, at(2026, 10, 30))
    body = user_client.get("/meters/report/?month=2026-10").content.decode()
    assert 'data-testid="total-pages">300' in body
    csv = b"".join(user_client.get("/meters/report/?month=2026-10&export=csv").streaming_content).decode(
        "utf-8-sig"
    )
    assert "COLOUR1" in csv and ";300;" in csv
    assert "Saisissez un mois" in user_client.get("/meters/report/?month=2026-13").content.decode()
    # With no choice yet, the form shows the period the page reports: last month.
    last_month = (timezone.localdate().replace(day=1) - timedelta(days=1)).strftime("%Y-%m")
    assert f'name="month" value="{last_month}"' in user_client.get("/meters/report/").content.decode()
    assert f'name="month" value="{last_month}"' in user_client.get("/meters/report/?page=2").content.decode()
    # From/To typed beside the month shown: the custom period is what is reported.
    custom = user_client.get(f"/meters/report/?month={last_month}&start=2026-10-01&end=2026-10-31")
    assert custom.context["start"].date().isoformat() == "2026-10-01"
    assert 'data-testid="total-pages">300' in custom.content.decode()


def test_corrections_keep_the_original(colour, helpdesk):
    original = read(colour, "total", 12345, timezone.now() - timedelta(days=1))
    correction = meter_read_correct(original=original, value=12354, by=helpdesk, reason="Digits swapped")
    original.refresh_from_db()
    assert original.superseded and correction.corrects == original and correction.by == helpdesk
    assert MeterRead.objects.filter(device=colour).count() == 2


def test_read_status_rules():
    now = timezone.now()
    assert read_status(last_read_at=None, automatic=False, now=now) == "unknown"
    assert read_status(last_read_at=now - timedelta(days=10), automatic=False, now=now) == "up_to_date"
    assert read_status(last_read_at=now - timedelta(days=35), automatic=False, now=now) == "due"
    assert read_status(last_read_at=now - timedelta(days=60), automatic=False, now=now) == "overdue"
    assert read_status(last_read_at=now - timedelta(hours=5), automatic=True, now=now) == "up_to_date"


def test_status_shows_on_the_list_detail_and_grid(user_client, mono):
    read(mono, "total", 100, timezone.now() - timedelta(days=40))
    assert (
        "Échue" in user_client.get("/meters/").content.decode()
        or "À faire" in user_client.get("/meters/").content.decode()
    )
    assert 'data-testid="grid-read-status"' in user_client.get("/printers/").content.decode()
    detail = user_client.get(f"/printers/{mono.pk}/").content.decode()
    assert 'data-testid="meter-read-status">' in detail


def test_reminders_are_sent_once_a_month(mono, plain_user, manager, django_capture_on_commit_callbacks):
    Device.objects.filter(pk=mono.pk).update(notifications_enabled=True)
    read(mono, "total", 100, timezone.now() - timedelta(days=40))
    with django_capture_on_commit_callbacks(execute=True):
        assert meter_reminders_send() == 2  # the plain user and the manager may both submit reads
        assert meter_reminders_send() == 0
    assert MeterReminder.objects.count() == 1 and len(mail.outbox) == 2
    assert "MANUAL1" in mail.outbox[0].subject


def test_no_reminder_without_notifications_or_when_up_to_date(mono, colour, plain_user):
    read(mono, "total", 100, timezone.now() - timedelta(days=40))
    Device.objects.filter(pk=colour.pk).update(notifications_enabled=True)
    read(colour, "total", 100, timezone.now() - timedelta(days=2))
    assert meter_reminders_send() == 0 and not mail.outbox


def test_tenancy_and_permissions(outsider_client, client, account, mono):
    assert outsider_client.get(f"/meters/{mono.pk}/").status_code == 404
    assert outsider_client.post(f"/meters/{mono.pk}/", {"counter_total": "5"}).status_code == 404
    assert "MANUAL1" not in outsider_client.get("/meters/").content.decode()
    assert "MANUAL1" not in outsider_client.get("/meters/report/").content.decode()
    from tests.conftest import make_user

    reader = make_user("reader@abc-cars.example", account=account)
    client.force_login(reader)
    assert client.post(f"/meters/{mono.pk}/", {"counter_total": "5"}).status_code == 403


def test_submit_meter_reads_action_lands_on_the_form(user_client, mono):
    response = user_client.post("/printers/actions/", {"action": "meter_read", "devices": [mono.pk]})
    assert response["Location"] == f"/meters/?device={mono.pk}"
    assert user_client.get(response["Location"])["Location"] == f"/meters/{mono.pk}/"


def test_home_pane_counts_match_the_list(user_client, account, site, mono):
    from meters.selectors import devices_with_read_status, meter_summary

    factories.device(account, site, serial="NEVER", managed_by_snmp=False)
    auto = factories.device(account, site, serial="AUTO", managed_by_snmp=True)
    read(mono, "total", 100, timezone.now() - timedelta(days=40))
    read(auto, "total", 5, timezone.now() - timedelta(hours=3), source="automatic")
    from accounts.models import User

    user = User.objects.get(username="user@abc-cars.example")
    expected = {"up_to_date": 0, "due": 0, "overdue": 0, "unknown": 0}
    for device in devices_with_read_status(user):
        expected[device.read_status] += 1
    summary = meter_summary(user)
    assert (
        {k: summary[k] for k in expected}
        == expected
        == {"up_to_date": 1, "due": 1, "overdue": 0, "unknown": 1}
    )


def test_the_list_is_paged_filtered_and_searched_in_the_database(
    user_client, account, site, other_account, django_assert_max_num_queries
):
    """A fleet of hundreds: 50 rows a page, status buttons with their counts, search by serial,
    model or site; the page's queries do not grow with the fleet."""
    now = timezone.now()
    devices = [
        factories.device(account, site, serial=f"FLEET{i:03d}", managed_by_snmp=False) for i in range(60)
    ]
    for device in devices[:10]:
        read(device, "total", 1000, now - timedelta(days=40))  # due
    for device in devices[10:15]:
        read(device, "total", 1000, now - timedelta(days=3))  # up to date
    factories.device(other_account, serial="FLEETOTHER")
    with django_assert_max_num_queries(12):
        first = user_client.get("/meters/").content.decode()
    assert first.count('data-testid="meter-row"') == 50
    assert "FLEET000" in first and "FLEET055" not in first and "FLEETOTHER" not in first
    assert 'data-testid="status-filter-due"' in first
    due_button = first[first.index('data-testid="status-filter-due"') :]
    assert ">10</span>" in due_button[: due_button.index("</a>")]
    second = user_client.get("/meters/?page=2").content.decode()
    assert second.count('data-testid="meter-row"') == 10 and "FLEET055" in second

    due = user_client.get("/meters/?status=due").content.decode()
    assert due.count('data-testid="meter-row"') == 10 and "FLEET010" not in due
    assert due.count("À faire") >= 10
    unknown = user_client.get("/meters/?status=unknown").content.decode()
    assert unknown.count('data-testid="meter-row"') == 45
    searched = user_client.get("/meters/?q=fleet00").content.decode()
    assert searched.count('data-testid="meter-row"') == 10
    all_button = searched[searched.index('href="/meters/?q=fleet00"') :]
    assert ">10</span>" in all_button[: all_button.index("</a>")]  # the counts follow the search
    assert (
        user_client.get("/meters/?status=due&q=FLEET012").content.decode().count('data-testid="meter-row"')
        == 0
    )
    assert "Aucun périphérique ne correspond" in user_client.get("/meters/?q=no-such-device").content.decode()
    # Nonsense in the query string is ignored, not an error.
    for bad in ("?status=bogus", "?page=999", "?sort=nope", "?q=" + "x" * 500):
        assert user_client.get("/meters/" + bad).status_code == 200


def test_a_customer_without_devices_sees_an_empty_state(client, other_account):
    from accounts import roles
    from tests.conftest import make_user

    client.force_login(make_user("empty@other.example", account=other_account, role=roles.FLEET_MANAGER))
    body = client.get("/meters/").content.decode()
    assert "Aucun périphérique sur votre compte" in body


def test_the_help_desk_sees_each_devices_account(client, helpdesk, user_client, mono, other_account):
    factories.device(other_account, serial="ELSEWHERE", managed_by_snmp=False)
    assert "Compte client" not in user_client.get("/meters/").content.decode()
    client.force_login(helpdesk)
    body = client.get("/meters/").content.decode()
    assert "Compte client" in body and "Other Industries" in body and "MANUAL1" in body


def test_billing_report_pages_devices_and_totals_them_all(user_client, account, site):
    from meters.services import month_bounds

    start, end = month_bounds(date(2026, 10, 1))
    for i in range(105):
        device = factories.device(account, site, serial=f"BILL{i:03d}", managed_by_snmp=False)
        read(device, "total", 1000, start - timedelta(days=2))
        read(device, "total", 1010 + i, end - timedelta(days=1))
    first = user_client.get("/meters/report/?month=2026-10").content.decode()
    second = user_client.get("/meters/report/?month=2026-10&page=2").content.decode()
    assert first.count('data-testid="report-row"') == 100 and second.count('data-testid="report-row"') == 5
    assert "month=2026-10&amp;page=2" in first
    expected = sum(10 + i for i in range(105))
    shown = first[first.index('data-testid="total-pages">') :].split(">", 1)[1].split("<", 1)[0]
    assert int("".join(ch for ch in shown if ch.isdigit())) == expected  # "6 510", grouped as in French
    csv_text = b"".join(user_client.get("/meters/report/?month=2026-10&export=csv").streaming_content)
    assert csv_text.decode("utf-8-sig").count("BILL") == 105


def test_billing_starts_from_the_newest_valid_read_before_the_period(colour, mono, helpdesk):
    """Several reads before the period: the newest one opens it; one that was corrected
    (superseded) does not, its correction does; reads after the period do not count."""
    from meters.services import month_bounds

    start, end = month_bounds(date(2026, 10, 1))
    read(colour, "total", 1000, at(2026, 8, 1))
    read(colour, "total", 2000, at(2026, 9, 20))
    wrong = read(colour, "total", 9999, at(2026, 9, 29))  # a typo, corrected below
    meter_read_correct(original=wrong, value=2500, by=helpdesk, reason="Typo")
    read(colour, "total", 3000, at(2026, 10, 20))
    read(colour, "total", 7000, at(2026, 11, 5))  # after the period
    read(mono, "total", 100, at(2026, 10, 3))  # no read before the period: the first one opens it
    read(mono, "total", 160, at(2026, 10, 30))
    usage = {u.device.serial_number: u for u in billing_report(devices=[colour, mono], start=start, end=end)}
    total = usage["COLOUR1"].counters["total"]
    assert total.start.value == 2500 and total.end.value == 3000 and usage["COLOUR1"].total == 500
    assert usage["MANUAL1"].total == 60 and usage["MANUAL1"].counters["total"].start.value == 100


def test_monthly_volumes_are_the_increases_of_each_months_highest_read(colour, mono):
    from meters.selectors import monthly_volumes

    # Colour: +100 pages a month from January to November 2026; an old read long before.
    read(colour, "total", 5, at(2023, 1, 10))
    for month in range(1, 12):
        read(colour, "total", 1000 + 100 * month, at(2026, month, 10))
        read(colour, "total", 1000 + 100 * month - 50, at(2026, month, 2))  # not the month's highest
    # Mono: a read in September and November only (nothing in October).
    read(mono, "total", 700, at(2026, 9, 15))
    read(mono, "total", 760, at(2026, 11, 15))
    months, _per_device, volumes = monthly_volumes(devices=[colour, mono], end=at(2026, 11, 30), months=3)
    assert [m.month for m in months] == [9, 10, 11]
    assert volumes == [100, 100, 100 + 60]
