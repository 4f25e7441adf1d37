import pytest
from django.utils import timezone

from printers.models import CounterSample, PollAttempt, Supply, SupplyLevelSample
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def printer(account, site):
    dev = factories.device(
        account,
        site,
        serial="813000305",
        model=factories.device_model("ColorQube 9203", fax=True, scan=True, a3=True),
        state="warning",
        conditions=["noPaper", "inputTrayEmpty", "serviceRequested"],
        levels={"black": 40, "cyan": 30, "magenta": 20, "yellow": 10},
        total=681235,
        system_name="EC2-25L-WJ50",
        printer_location="111/1/Webster/NY/USA",
        ip_address="192.0.2.44",
        asset_number="65732245",
        discovered_at=timezone.now() - timezone.timedelta(days=69, hours=23, minutes=41),
    )
    dev.state.uptime_seconds = 70 * 86400 + 20 * 3600 + 19 * 60 + 15
    dev.state.scanner_state = "ready"
    dev.state.save()
    return dev


def test_status_tab_has_every_field_of_the_guide(user_client, printer):
    body = user_client.get(f"/printers/{printer.pk}/").content.decode()
    for text in [
        "ColorQube 9203",
        "813000305",
        "111/1/Webster/NY/USA",
        "EC2-25L-WJ50",
        "192.0.2.44",
        "Fonctionne mais affiche un ou plusieurs avertissements",
        "Fin de papier, Bac d’entrée vide, Intervention requise",
        "69 jours, 23 heures, 41 minutes",
        "70 jours, 20 heures, 19 minutes",
        "Prêt",
        "Consommables en suspens",
        "État de lecture des compteurs",
        "Notifications activées",
    ]:
        assert text in body, text


def test_supplies_tab_lists_every_supply_with_history(user_client, printer):
    Supply.objects.create(
        device=printer, index=9, description="Fuser Assembly", type="fuser", level=-2, max_capacity=100
    )
    black = printer.supplies.get(colour="black")
    for days, pct in [(30, 90), (20, 70), (10, 50)]:
        SupplyLevelSample.objects.create(
            supply=black,
            observed_at=timezone.now() - timezone.timedelta(days=days),
            level=pct,
            max_capacity=100,
            percent=pct,
        )
    body = user_client.get(f"/printers/{printer.pk}/?tab=supplies").content.decode()
    assert body.count('data-testid="supply-row"') == 5
    assert "Fuser Assembly" in body and "Inconnu" in body
    assert "<polyline" in body


def test_counters_tab_draws_the_history(user_client, printer):
    for days, value in [(60, 600000), (30, 650000), (0, 681235)]:
        CounterSample.objects.create(
            device=printer,
            counter="total",
            observed_at=timezone.now() - timezone.timedelta(days=days),
            value=value,
        )
    body = user_client.get(f"/printers/{printer.pk}/?tab=counters").content.decode()
    assert 'data-testid="counter-chart"' in body and "<polyline" in body
    assert "681" in body


def test_diagnostics_tab_shows_attempts_and_errors(user_client, printer):
    PollAttempt.objects.create(device=printer, started_at=timezone.now(), ok=False, error="No SNMP response")
    body = user_client.get(f"/printers/{printer.pk}/?tab=diagnostics").content.decode()
    assert "No SNMP response" in body


def test_features_and_info_tabs(user_client, printer):
    features = user_client.get(f"/printers/{printer.pk}/?tab=features").content.decode()
    assert "bi-check-circle-fill" in features
    info = user_client.get(f"/printers/{printer.pk}/?tab=info").content.decode()
    assert "65732245" in info and "Webster" in info and "XPS Hosting Site" in info


def test_incidents_tab_lists_the_devices_tickets(user_client, printer, account):
    t = factories.ticket(account, printer, summary="Paper jam again")
    body = user_client.get(f"/printers/{printer.pk}/?tab=incidents").content.decode()
    assert t.number in body and "Paper jam again" in body


def test_unknown_tab_falls_back_to_status(user_client, printer):
    response = user_client.get(f"/printers/{printer.pk}/?tab=../../etc")
    assert response.status_code == 200 and response.context["tab"] == "status"


def test_snmp_settings_never_reach_the_customer(user_client, printer):
    printer.snmp_community = "s3cret-community"
    printer.save()
    for tab in ["status", "supplies", "info", "counters", "features", "diagnostics", "incidents"]:
        assert (
            "s3cret-community" not in user_client.get(f"/printers/{printer.pk}/?tab={tab}").content.decode()
        )


def test_another_accounts_printer_is_a_404(outsider_client, printer):
    assert outsider_client.get(f"/printers/{printer.pk}/").status_code == 404


def test_detail_query_count_is_small_and_constant(user_client, printer, django_assert_max_num_queries):
    for i in range(40):
        CounterSample.objects.create(
            device=printer,
            counter="total",
            observed_at=timezone.now() - timezone.timedelta(days=i),
            value=1000 + i,
        )
    for tab in ["status", "supplies", "info", "counters", "features", "diagnostics", "incidents"]:
        with django_assert_max_num_queries(10):
            assert user_client.get(f"/printers/{printer.pk}/?tab={tab}").status_code == 200


def test_the_admin_device_page_leaves_out_the_grids_copies_of_the_levels(client, helpdesk, account, site):
    device = factories.device(account, site, serial="ADM1", state="ok", levels={"black": 40})
    client.force_login(helpdesk)
    page = client.get(f"/admin/printers/device/{device.pk}/change/")
    body = page.content.decode()
    assert page.status_code == 200 and "field-overall" in body
    assert "field-level_black" not in body and "field-colours_present" not in body
