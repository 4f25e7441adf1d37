"""An account the help desk made inactive: its users are out, its devices are left alone,
and the help desk still sees everything. The same holds under an inactive parent account."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.core import mail
from django.test import Client
from django.utils import timezone

from accounts.models import Account
from printers.models import DeviceCondition
from printers.polling import fleet_poll_run
from supplies import services as supply_services
from supplies.models import ConsumableItem
from tests import factories
from tests.conftest import PASSWORD, make_user
from tests.fixtures_snmp import sim_device
from tickets.models import Ticket
from tickets.services import ticket_open_for_condition

pytestmark = pytest.mark.django_db
INACTIVE = "account is inactive"


def english_client() -> Client:
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def deactivate(account: Account) -> None:
    account.is_active = False
    account.save(update_fields=["is_active"])


def test_a_user_of_an_inactive_account_cannot_log_in_and_is_told_why(plain_user, account):
    deactivate(account)
    client = english_client()
    response = client.post("/accounts/login/", {"username": plain_user.username, "password": PASSWORD})
    assert response.status_code == 200
    assert INACTIVE in response.content.decode()
    assert "_auth_user_id" not in client.session
    # A wrong password says nothing about the account.
    response = client.post("/accounts/login/", {"username": plain_user.username, "password": "Wrong-1234"})
    assert INACTIVE not in response.content.decode()


def test_a_sub_account_under_an_inactive_parent_is_inactive_too(plain_user, account):
    deactivate(account.parent)
    response = english_client().post(
        "/accounts/login/", {"username": plain_user.username, "password": PASSWORD}
    )
    assert INACTIVE in response.content.decode()
    assert Account.objects.inactive_ids() == {account.parent_id, account.pk}


def test_an_open_session_stops_at_its_next_request(user_client, account):
    assert user_client.get("/printers/").status_code == 200
    deactivate(account.parent)
    response = user_client.get("/printers/", follow=True)
    assert response.redirect_chain[-1][0].startswith("/accounts/login/")
    assert "_auth_user_id" not in user_client.session
    assert user_client.get("/").status_code == 302


def test_the_help_desk_still_sees_an_inactive_accounts_fleet(helpdesk, account, site):
    device = factories.device(account, site, serial="INACTIVE-1")
    deactivate(account)
    client = Client()
    client.force_login(helpdesk)
    assert "INACTIVE-1" in client.get("/printers/").content.decode()
    assert client.get(f"/printers/{device.pk}/").status_code == 200


def test_devices_of_an_inactive_account_are_not_polled(account, other_account, simulator):
    asleep = sim_device(account, simulator, "sim-xerox-colour", serial="")
    awake = sim_device(other_account, simulator, "sim-hp-mono", serial="")
    deactivate(account.parent)
    run = fleet_poll_run()
    assert run.devices == 1
    asleep.refresh_from_db()
    awake.refresh_from_db()
    assert asleep.serial_number == "" and awake.serial_number != ""
    # A "Get printer status" for it polls nothing either.
    assert fleet_poll_run(kind="refresh", device_ids=[asleep.pk], respect_backoff=False).devices == 0


def test_no_automatic_ticket_order_or_mail_for_an_inactive_account(account, site, manager, settings):
    settings.FMP_SUPPLY_ORDER_BELOW_PERCENT = 10
    model = factories.device_model("ColorQube 9203")
    printer = factories.device(account, site, serial="LOW-1", model=model, levels={"black": 5})
    ink = ConsumableItem.objects.create(
        part_number="108R00828", description="ink", type="toner", colour="black"
    )
    ink.compatible_models.add(model)
    condition = DeviceCondition.objects.create(
        device=printer, code="paperOut", severity="error", raised_at=timezone.now()
    )
    deactivate(account)
    assert supply_services.proactive_orders_place() == []
    assert ticket_open_for_condition(condition) is None
    assert not Ticket.objects.exists()
    # Active again: the same checks act, which shows what stopped them above.
    account.is_active = True
    account.save()
    assert len(supply_services.proactive_orders_place()) == 1
    assert ticket_open_for_condition(condition) is not None


def test_no_mail_to_users_of_an_inactive_account(account, django_capture_on_commit_callbacks):
    from accounts.notifications import notify

    user = make_user("someone@abc-cars.example", account=account)
    context = {"password": "x", "login_url": "/", "max_age": timedelta(minutes=5)}
    with django_capture_on_commit_callbacks(execute=True):
        assert notify(
            user=user, kind="order_placed", template="accounts/email/temporary_password", context=context
        )
    assert len(mail.outbox) == 1
    deactivate(account.parent)
    user.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        queued = notify(
            user=user, kind="order_placed", template="accounts/email/temporary_password", context=context
        )
    assert queued is False and len(mail.outbox) == 1


@pytest.mark.django_db(transaction=True)
def test_forgot_password_sends_nothing_to_a_user_of_an_inactive_account(plain_user, account):
    from accounts.notifications import background_wait

    deactivate(account.parent)
    response = english_client().post(
        "/accounts/password/forgot/", {"username": plain_user.email}, follow=True
    )
    background_wait()
    assert response.status_code == 200 and not mail.outbox
    account.parent.is_active = True
    account.parent.save()
    english_client().post("/accounts/password/forgot/", {"username": plain_user.email}, follow=True)
    background_wait()
    assert len(mail.outbox) == 1
