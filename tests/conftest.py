"""Shared fixtures. Every module that touches tenant data has an owner (fleet manager),
a colleague with fewer rights (plain user) and an outsider from another account."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection, transaction
from django.test import Client

from accounts import roles
from accounts.models import Account, Site, User

pytest_plugins = ["fmp_snmp.testing", "tests.fixtures_snmp", "tests.collectors.netns"]

PASSWORD = "Sturdy-Pass-42"


def pytest_configure(config):
    engine = settings.DATABASES["default"]["ENGINE"]
    if "postgresql" not in engine:
        raise pytest.UsageError(
            "The FMP test suite runs on PostgreSQL only (found %s). Set DATABASE_URL, e.g. "
            "postgres://postgres@127.0.0.1:5432/fmp, or run scripts/test." % engine
        )


@pytest.fixture(autouse=True)
def _fast_and_quiet(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    # A poll asked for without a broker runs within the call, not in a thread that would
    # outlive the test (and not see its uncommitted rows); the tests of that thread turn it on.
    settings.FMP_STATUS_REFRESH_BACKGROUND = False


@pytest.fixture
def account(db):
    parent = Account.objects.create(name="ABC Cars")
    return Account.objects.create(name="ABC London Pursuit", parent=parent)


@pytest.fixture
def site(account):
    return Site.objects.create(
        account=account, name="XPS Hosting Site", country="USA", state="NY", city="Webster", building="111"
    )


@pytest.fixture
def other_account(db):
    return Account.objects.create(name="Other Industries")


@pytest.fixture
def other_site(other_account):
    return Site.objects.create(account=other_account, name="Other HQ", city="Lyon", country="France")


def make_user(email: str, *, account=None, role=None, language="fr", **extra) -> User:
    user = User.objects.create_user(
        username=email, email=email, password=PASSWORD, account=account, language=language, **extra
    )
    if role:
        user.groups.add(roles.role_group(role))
    return user


@pytest.fixture
def manager(account, site):
    return make_user(
        "manager@abc-cars.example",
        account=account,
        role=roles.FLEET_MANAGER,
        first_name="Marta",
        last_name="Martinez",
        default_site=site,
    )


@pytest.fixture
def plain_user(account, site):
    return make_user(
        "user@abc-cars.example",
        account=account,
        role=roles.USER,
        first_name="Peter",
        last_name="Norman",
        default_site=site,
    )


@pytest.fixture
def outsider(other_account, other_site):
    return make_user("user@other.example", account=other_account, role=roles.USER, default_site=other_site)


@pytest.fixture
def helpdesk(db):
    """Help-desk staff, with the authenticator app that staff must have (accounts.otp)."""
    from accounts.otp import otp_device_ensure

    user = make_user("helpdesk@fmp.example", is_staff=True, is_superuser=True)
    otp_device_ensure(user=user)
    return user


@pytest.fixture(autouse=True)
def _force_login_passes_the_second_factor(monkeypatch):
    """``client.force_login(user)`` skips the password; it skips the second factor too: the
    session counts as verified by the user's authenticator app, if the user has one. (The
    real login with a code is tested in tests/accounts/test_second_factor.py.)"""
    original = Client.force_login

    def force_login(self, user, backend=None):
        original(self, user, backend)
        from django_otp import DEVICE_ID_SESSION_KEY

        from accounts.otp import totp_device

        device = totp_device(user)
        if device is not None:
            session = self.session
            session[DEVICE_ID_SESSION_KEY] = device.persistent_id
            session.save()

    monkeypatch.setattr(Client, "force_login", force_login)


@pytest.fixture
def manager_client(manager):
    client = Client()
    client.force_login(manager)
    return client


@pytest.fixture
def user_client(plain_user):
    client = Client()
    client.force_login(plain_user)
    return client


@pytest.fixture
def outsider_client(outsider):
    client = Client()
    client.force_login(outsider)
    return client


def can_log_in(client, username: str, password: str) -> bool:
    """Log in through the real login page (axes needs the request); True when it worked."""
    response = client.post("/accounts/login/", {"username": username, "password": password})
    return response.status_code == 302


def run_manage(*args: str, timeout: int = 120, **env: str) -> subprocess.CompletedProcess:
    """``manage.py`` in a new process with these environment variables (settings are read
    at start-up, so configuration is tested this way)."""
    base = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}  # set by browser tests
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        capture_output=True,
        text=True,
        env={**base, **env},
        cwd=Path(__file__).resolve().parents[1],
        timeout=timeout,
        check=False,
    )


def run_together(*calls, atomic: bool = True) -> list:
    """Run each call in its own thread and database connection, all released at once (each
    inside its own transaction when ``atomic``): what two workers or two users doing the
    same thing at the same moment do. Returns each call's result, or the exception it raised."""
    barrier = threading.Barrier(len(calls))
    outcomes: list = [None] * len(calls)

    def run(index, call):
        try:
            with transaction.atomic() if atomic else contextlib.nullcontext():
                barrier.wait(timeout=10)
                outcomes[index] = call()
        except Exception as exc:  # the caller asserts on it
            outcomes[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return outcomes
