"""One user per login name: usernames and e-mails never collide, in any case."""

import pytest
from django.test import Client
from django.utils import timezone

from accounts.backends import find_user
from accounts.models import User
from tests.conftest import PASSWORD, can_log_in, make_user

PROFILE = "/accounts/profile/"

pytestmark = pytest.mark.django_db


def profile_data(user, **changes):
    data = {
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "phone": "",
        "street": "",
        "city": "",
        "state": "",
        "postal_code": "",
        "country": "",
        "default_site": "",
    }
    return {**data, **changes}


@pytest.fixture
def victim(account):
    """A user whose username (an old address) is not their e-mail address."""
    return User.objects.create_user(
        username="jdoe@legacy.example",
        email="jane.doe@abc-cars.example",
        password="Victim-Pass-9",
        account=account,
    )


@pytest.mark.parametrize(
    "taken",
    [
        "jdoe@legacy.example",
        "JDoe@Legacy.EXAMPLE",
        "JANE.DOE@abc-cars.example",
        " jane.doe@ABC-cars.example ",
    ],
)
def test_a_user_cannot_take_another_users_login_name_as_email(user_client, plain_user, victim, taken):
    response = user_client.post(PROFILE, profile_data(plain_user, email=taken))
    assert response.status_code == 200
    assert 'id="error_1_id_email"' in response.content.decode()
    plain_user.refresh_from_db()
    assert plain_user.email == "user@abc-cars.example"
    # The victim's login name still leads to the victim, and only to them.
    assert find_user(taken) == victim
    assert can_log_in(Client(), taken, "Victim-Pass-9")


def test_a_user_may_keep_or_change_their_own_email(user_client, plain_user):
    response = user_client.post(PROFILE, profile_data(plain_user, email="USER@abc-cars.example"))
    assert response.status_code == 302
    response = user_client.post(PROFILE, profile_data(plain_user, email="peter.norman@abc-cars.example"))
    assert response.status_code == 302
    plain_user.refresh_from_db()
    assert plain_user.email == "peter.norman@abc-cars.example"
    assert can_log_in(Client(), "Peter.Norman@abc-cars.example", PASSWORD)


def test_login_finds_exactly_one_user_or_none(account, victim):
    # A clash from before the rule (written past validation): nobody is found, not the wrong one.
    intruder = make_user("intruder@abc-cars.example", account=account)
    User.objects.filter(pk=intruder.pk).update(email="JDOE@legacy.example")
    assert find_user("jdoe@legacy.example") is None
    assert not can_log_in(Client(), "jdoe@legacy.example", PASSWORD)
    assert find_user("jane.doe@abc-cars.example") == victim
    assert find_user("nobody") is None and find_user("") is None


def test_the_help_desk_cannot_create_a_user_with_another_users_login_name(client, helpdesk, victim, account):
    client.force_login(helpdesk)
    for username, email in [
        ("Jane.Doe@abc-cars.example", "new@abc-cars.example"),  # username = someone's e-mail
        ("newbie", "JDoe@Legacy.example"),  # e-mail = someone's username
        ("newbie", "jane.DOE@abc-cars.example"),  # e-mail = someone's e-mail
        ("JDOE@legacy.example", "other@abc-cars.example"),  # username = someone's username, other case
    ]:
        response = client.post(
            "/admin/accounts/user/add/",
            {
                "username": username,
                "email": email,
                "account": account.pk,
                "password1": "Sturdy-Pass-43",
                "password2": "Sturdy-Pass-43",
                "usable_password": "true",
            },
        )
        assert response.status_code == 200, (username, email)
        errors = response.context["adminform"].form.errors
        assert set(errors) == ({"username"} if username != "newbie" else {"email"}), errors
    assert User.objects.count() == 2


def test_the_help_desk_cannot_rename_a_user_to_another_users_email(client, helpdesk, victim, plain_user):
    client.force_login(helpdesk)
    url = f"/admin/accounts/user/{plain_user.pk}/change/"
    page = client.get(url)
    assert page.status_code == 200
    form = page.context["adminform"].form
    data = {}
    for name in form.fields:
        value = form[name].value()
        if value is None:
            continue
        if isinstance(value, list | tuple):
            data[name] = [str(v) for v in value]
        elif isinstance(value, bool):
            if value:
                data[name] = "on"
        else:
            data[name] = str(value)
    joined = timezone.localtime(plain_user.date_joined)
    data.pop("date_joined")
    data.update(date_joined_0=joined.strftime("%Y-%m-%d"), date_joined_1=joined.strftime("%H:%M:%S"))
    response = client.post(url, {**data, "username": "JANE.DOE@abc-cars.example"})
    assert response.status_code == 200
    assert set(response.context["adminform"].form.errors) == {"username"}
    plain_user.refresh_from_db()
    assert plain_user.username == "user@abc-cars.example"
    # The same form with a free name goes through.
    assert client.post(url, {**data, "username": "peter.norman"}).status_code == 302


def test_the_database_refuses_usernames_that_differ_only_in_case(victim):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create_user(
            username="JDoe@legacy.example", email="other@abc-cars.example", password=PASSWORD
        )
