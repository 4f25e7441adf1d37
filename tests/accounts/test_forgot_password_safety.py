"""“Forgot password” tells nothing about who exists, never waits for the mail server, keeps
no password in the broker, loses no temporary password, and is throttled."""

import asyncio
import base64
import json
import re
import socket
import statistics
import threading
import time

import pytest
from django.contrib.auth.hashers import MD5PasswordHasher
from django.core import mail
from django.test import Client

from accounts.models import TemporaryPassword, User
from accounts.notifications import background_wait
from tests.conftest import PASSWORD, can_log_in, make_user
from tests.fixtures_snmp import BROKER, celery_broker

FORGOT = "/accounts/password/forgot/"
LOGIN = "/accounts/login/"

pytestmark = pytest.mark.django_db(transaction=True)


def forgot(client, username):
    response = client.post(FORGOT, {"username": username}, follow=True)
    background_wait()
    return response


def temp_password(message) -> str:
    return re.search(r":\s+([A-Za-z0-9]{12})\s", message.body).group(1)


def answer(response) -> tuple:
    """What the asker sees: final status, page and alert (CSRF token aside)."""
    body = re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", response.content.decode())
    return response.status_code, tuple(response.redirect_chain), body


def unused_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp_server(settings):
    """A real SMTP server (aiosmtpd) that takes ``delay`` seconds to accept each message."""
    from aiosmtpd.controller import Controller

    class Handler:
        delay = 0.0
        received: list = []

        async def handle_DATA(self, server, session, envelope):
            await asyncio.sleep(self.delay)
            self.received.append(envelope.content.decode("utf-8", "replace"))
            return "250 OK"

    handler = Handler()
    port = unused_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", port, 10
    try:
        yield handler
    finally:
        background_wait()
        controller.stop()


def smtp_down(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", unused_port(), 2


def test_same_answer_for_known_and_unknown_users_when_the_mail_server_is_down(client, plain_user, settings):
    smtp_down(settings)
    known = forgot(client, plain_user.email)
    unknown = forgot(client, "nobody@nowhere.example")
    assert known.status_code == 200 and known.redirect_chain == [("/accounts/login/", 302)]
    assert answer(known) == answer(unknown)
    assert not TemporaryPassword.objects.exists()  # nothing recorded that was never sent


def test_a_slow_mail_server_does_not_slow_down_known_users(client, plain_user, settings, smtp_server):
    settings.FMP_TEMP_PASSWORD_PER_USER = 10
    smtp_server.delay = 1.5
    timings = {"known": [], "unknown": []}
    answers = {}
    for i in range(4):
        for who, name in [("known", plain_user.email), ("unknown", f"nobody{i}@nowhere.example")]:
            start = time.monotonic()
            response = client.post(FORGOT, {"username": name}, follow=True)
            timings[who].append(time.monotonic() - start)
            answers[who] = answer(response)
    assert answers["known"] == answers["unknown"]
    # Before, a known user's request waited for the mail server (1.5 s each).
    assert statistics.median(timings["known"]) < statistics.median(timings["unknown"]) + 0.5
    background_wait()
    assert len(smtp_server.received) == 4  # and the mails did go, in the background


def test_the_mail_arrives_through_a_real_smtp_server_and_the_password_works(client, plain_user, smtp_server):
    forgot(client, plain_user.email)
    assert len(smtp_server.received) == 1
    temp = re.search(r":\s+([A-Za-z0-9]{12})\s", smtp_server.received[0]).group(1)
    assert can_log_in(Client(), plain_user.email, temp)


def test_a_failed_send_keeps_the_temporary_password_sent_before(client, plain_user, settings):
    forgot(client, plain_user.email)
    first = temp_password(mail.outbox[0])
    smtp_down(settings)
    forgot(client, plain_user.email)  # this one never reaches the user
    assert can_log_in(Client(), plain_user.email, first)


def test_with_a_broker_only_the_user_id_travels(client, plain_user, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    with celery_broker(BROKER) as app, app.connection_for_write() as conn:
        redis = conn.default_channel.client
        redis.flushdb()
        client.post(FORGOT, {"username": plain_user.email})
        queued = [m.decode() for m in redis.lrange("celery", 0, -1)]
        redis.flushdb()
    assert len(queued) == 1
    envelope = json.loads(queued[0])
    assert envelope["headers"]["task"] == "accounts.tasks.temporary_password_send"
    args, kwargs, _embed = json.loads(base64.b64decode(envelope["body"]))
    assert args == [plain_user.pk, "http://testserver/accounts/login/"] and not kwargs
    # No password exists yet: the worker makes it.
    assert not TemporaryPassword.objects.exists() and not mail.outbox


def test_with_a_broker_and_a_worker_the_temporary_password_arrives(client, plain_user, celery_worker):
    client.post(FORGOT, {"username": plain_user.email})
    deadline = time.monotonic() + 20
    while not mail.outbox and time.monotonic() < deadline:
        time.sleep(0.1)
    assert len(mail.outbox) == 1
    assert can_log_in(Client(), plain_user.email, temp_password(mail.outbox[0]))


def test_requests_are_throttled_per_username(client, plain_user, manager, settings):
    plain_user.username = "PNorman"
    plain_user.save()
    variants = ["pnorman", plain_user.email.upper(), "PNORMAN", plain_user.email, "PNorman"]
    answers = {answer(forgot(client, name)) for name in variants}
    assert len(mail.outbox) == settings.FMP_TEMP_PASSWORD_PER_USER
    assert len(answers) == 1  # the page says the same when throttled: it tells nothing
    # Another user is not affected.
    forgot(client, manager.email)
    assert len(mail.outbox) == settings.FMP_TEMP_PASSWORD_PER_USER + 1
    assert mail.outbox[-1].to == [manager.email]


def test_requests_are_throttled_per_address(settings, account):
    settings.FMP_TEMP_PASSWORD_PER_ADDRESS = 3
    users = [make_user(f"t{i}@abc-cars.example", account=account) for i in range(5)]
    client = Client()
    for user in users[:4]:
        forgot(client, user.email)
    assert len(mail.outbox) == 3
    forgot(Client(REMOTE_ADDR="192.0.2.7"), users[4].email)
    assert len(mail.outbox) == 4
    # A forged X-Forwarded-For does not open a new allowance.
    Client(HTTP_X_FORWARDED_FOR="203.0.113.9").post(FORGOT, {"username": users[3].email})
    background_wait()
    assert len(mail.outbox) == 4


def test_the_temporary_password_goes_even_to_users_who_opted_out_of_every_email(client, plain_user):
    from accounts.notifications import KINDS

    User.objects.filter(pk=plain_user.pk).update(email_opt_out=list(KINDS))
    forgot(client, plain_user.email)
    assert len(mail.outbox) == 1 and "mot de passe temporaire" in mail.outbox[0].subject


def test_without_a_broker_the_console_backend_prints_the_password(client, plain_user, settings, capsys):
    settings.EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"  # the demo's
    forgot(client, plain_user.email)
    out = capsys.readouterr().out
    temp = re.search(r":\s+([A-Za-z0-9]{12})\s", out).group(1)
    assert can_log_in(Client(), plain_user.email, temp)


class CountingHasher(MD5PasswordHasher):
    """The tests' hasher, counting how many passwords it hashes (the cost of a login)."""

    calls = 0
    lock = threading.Lock()

    def encode(self, password, salt):
        with CountingHasher.lock:
            CountingHasher.calls += 1
        return super().encode(password, salt)


def hashes_for_failed_login(username: str) -> int:
    before = CountingHasher.calls
    response = Client().post(LOGIN, {"username": username, "password": "Wrong-pass-1"})
    assert response.status_code == 200
    return CountingHasher.calls - before


def test_a_failed_login_costs_the_same_with_or_without_a_pending_temporary_password(
    client, plain_user, manager, settings
):
    settings.PASSWORD_HASHERS = [f"{__name__}.CountingHasher"]
    forgot(client, plain_user.email)
    assert TemporaryPassword.objects.filter(user=plain_user, used_at__isnull=True).exists()
    with_pending = hashes_for_failed_login(plain_user.email)
    without = hashes_for_failed_login(manager.email)
    unknown = hashes_for_failed_login("nobody@nowhere.example")
    assert with_pending == without == unknown >= 1
    assert can_log_in(Client(), manager.email, PASSWORD)
