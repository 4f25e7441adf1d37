"""Lock-out: per username (a success clears only one's own failures), per address far higher."""

import pytest
from django.contrib.auth.signals import user_login_failed
from django.test import Client, RequestFactory

from tests.conftest import PASSWORD, make_user

LOGIN = "/accounts/login/"
CHANGE = "/accounts/password/change/"
WRONG = "Wrong-pass-1"

pytestmark = pytest.mark.django_db


def login(client, username, password=PASSWORD, **extra):
    return client.post(LOGIN, {"username": username, "password": password}, **extra)


@pytest.fixture
def attacker(account):
    """A user of the portal with an account of their own, guessing at a colleague's."""
    return make_user("mallory@abc-cars.example", account=account)


def test_logging_in_to_ones_own_account_between_guesses_does_not_reset_the_victims_count(
    client, plain_user, attacker, settings
):
    limit = settings.AXES_FAILURE_LIMIT
    outcomes = []
    for _round in range(3):
        for _ in range(limit - 1):
            outcomes.append(login(client, plain_user.email, WRONG).status_code)
        assert login(client, attacker.email).status_code == 302  # the attacker's own account
        client.logout()
    # The victim was locked on the limit-th wrong guess, and stays locked.
    assert outcomes[: limit - 1] == [200] * (limit - 1)
    assert set(outcomes[limit:]) == {429}
    response = login(Client(), plain_user.email)  # even the right password, from anywhere
    assert response.status_code == 429
    assert 'data-reason="user"' in response.content.decode()


def test_a_colleague_behind_the_same_address_still_logs_in(client, plain_user, manager, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        login(client, plain_user.username, WRONG)
    locked = login(client, plain_user.username)
    assert locked.status_code == 429
    # The page speaks of the user's own account, not of an address or someone else.
    body = locked.content.decode()
    assert 'data-reason="user"' in body and "Compte temporairement verrouillé" in body
    colleague = Client()  # same address (127.0.0.1)
    assert login(colleague, manager.username).status_code == 302
    assert colleague.get("/").status_code == 200


def test_spraying_passwords_from_one_address_locks_the_address(client, settings, account):
    settings.FMP_LOGIN_ADDRESS_FAILURE_LIMIT = 8
    users = [make_user(f"u{i}@abc-cars.example", account=account) for i in range(9)]
    codes = [
        # One guess per user (each far below the per-user limit), a forged
        # X-Forwarded-For each time: the lock-out goes by the real address.
        login(client, u.email, WRONG, HTTP_X_FORWARDED_FOR=f"10.1.2.{i}").status_code
        for i, u in enumerate(users[:8])
    ]
    assert codes[:7] == [200] * 7 and codes[7] == 429
    # Now nobody logs in from that address, not even with the right password...
    response = login(Client(), users[8].email)
    assert response.status_code == 429
    assert 'data-reason="address"' in response.content.decode()
    # ...but the users themselves are not locked: from another address they log in.
    assert login(Client(REMOTE_ADDR="192.0.2.44"), users[0].email).status_code == 302


def test_spraying_from_a_whole_ipv6_network_counts_as_one_address(settings, account):
    settings.FMP_LOGIN_ADDRESS_FAILURE_LIMIT = 6
    users = [make_user(f"v{i}@abc-cars.example", account=account) for i in range(7)]
    codes = [
        # Each guess from another address of the same /64 (one subscriber's network).
        login(Client(REMOTE_ADDR=f"2001:db8:1:2::{i + 1:x}"), u.email, WRONG).status_code
        for i, u in enumerate(users[:6])
    ]
    assert codes[:5] == [200] * 5 and codes[5] == 429
    assert login(Client(REMOTE_ADDR="2001:db8:1:2:ffff::9"), users[6].email).status_code == 429
    # The next /64 is another subscriber: not blocked.
    assert login(Client(REMOTE_ADDR="2001:db8:1:3::1"), users[6].email).status_code == 302


def test_a_sprayed_user_logging_in_gives_the_sprayers_address_nothing_back(settings, account):
    settings.FMP_LOGIN_ADDRESS_FAILURE_LIMIT = 6
    users = [make_user(f"w{i}@abc-cars.example", account=account) for i in range(6)]
    sprayer = Client(REMOTE_ADDR="198.51.100.7")
    for user in users[:5]:
        assert login(sprayer, user.email, WRONG).status_code == 200
    # Those users log in from their office: their own failures go...
    for user in users[:5]:
        assert login(Client(REMOTE_ADDR="192.0.2.10"), user.email).status_code == 302
    # ...but the sprayer's address still has its five: the sixth locks it.
    assert login(sprayer, users[5].email, WRONG).status_code == 429


def test_the_address_limit_is_much_higher_than_the_user_limit(client, settings, account):
    assert settings.FMP_LOGIN_ADDRESS_FAILURE_LIMIT >= 5 * settings.AXES_FAILURE_LIMIT
    users = [make_user(f"s{i}@abc-cars.example", account=account) for i in range(3)]
    for user in users:
        for _ in range(settings.AXES_FAILURE_LIMIT - 1):
            assert login(client, user.email, WRONG).status_code == 200
    assert login(client, users[0].email).status_code == 302


def test_username_email_and_case_variants_count_as_one_user(client, plain_user, settings):
    plain_user.username = "PNorman"
    plain_user.save()
    variants = ["pnorman", plain_user.email.upper(), " PNORMAN ", plain_user.email, "PNorman"]
    for i in range(settings.AXES_FAILURE_LIMIT):
        login(client, variants[i % len(variants)], WRONG)
    assert login(client, "pnorman").status_code == 429


def test_a_success_clears_the_users_own_failures(client, plain_user, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        login(client, plain_user.email, WRONG)
    assert login(client, plain_user.email).status_code == 302
    client.logout()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert login(client, plain_user.email, WRONG).status_code == 200


def test_failures_signalled_by_another_step_count_for_the_username(client, plain_user, settings):
    """A second factor (or any other proof of identity) reports a wrong code by django's
    user_login_failed signal with the username: that counts like a wrong password."""
    factory = RequestFactory()
    for i in range(settings.AXES_FAILURE_LIMIT):
        request = factory.post("/accounts/login/", REMOTE_ADDR=f"198.51.100.{i}")
        user_login_failed.send(
            sender=__name__, credentials={"username": plain_user.username}, request=request
        )
    assert login(client, plain_user.email).status_code == 429


def test_wrong_old_passwords_on_the_change_form_lock_the_account(user_client, plain_user, settings):
    data = {"old_password": "Not-it-1", "new_password1": "Brand-New-7x", "new_password2": "Brand-New-7x"}
    codes = [user_client.post(CHANGE, data).status_code for _ in range(settings.AXES_FAILURE_LIMIT)]
    assert codes[:-1] == [200] * (settings.AXES_FAILURE_LIMIT - 1) and codes[-1] == 429
    # Locked: the right old password no longer changes anything, and logging in is refused.
    right = {**data, "old_password": PASSWORD}
    assert user_client.post(CHANGE, right).status_code == 429
    plain_user.refresh_from_db()
    assert plain_user.check_password(PASSWORD)
    assert login(Client(), plain_user.email).status_code == 429


def test_the_session_id_is_renewed_on_login(client, plain_user):
    session = client.session
    session["before"] = "login"
    session.save()
    before = session.session_key
    client.cookies["sessionid"] = before
    assert login(client, plain_user.email).status_code == 302
    assert client.cookies["sessionid"].value != before
    assert client.get("/").status_code == 200
