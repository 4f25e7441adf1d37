"""Enrollment with a one-time code: works once, expires, refused when unknown or used, even
when two collectors present the same code at the same moment; ``collector_add``."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone

from collectors.models import Collector, EnrollmentCode
from collectors.services import CollectorRefused, collector_create, collector_enroll
from fmp_collector import protocol
from tests.conftest import run_manage, run_together

pytestmark = pytest.mark.django_db


def enroll(client, code, key=None, **extra):
    key = key or protocol.new_key()
    body = {
        "code": code,
        "public_key": protocol.public_key_text(key),
        "hostname": "box",
        "version": "1.0",
        **extra,
    }
    return client.post("/collector/v1/enroll/", body, content_type="application/json")


def test_a_code_enrolls_the_collector_once(account, site, client):
    collector, code = collector_create(account=account, site=site, name="Webster box", by=None)
    assert EnrollmentCode.objects.get().digest != code  # only its digest is kept
    response = enroll(client, code)
    assert response.status_code == 201, response.content
    assert response.json()["collector"] == str(collector.uid)
    collector.refresh_from_db()
    assert collector.enrolled_at and len(collector.public_key) == 43 and collector.hostname == "box"
    again = enroll(client, code)
    assert again.status_code == 403 and again.json() == {
        "error": "code_refused",
        "detail": "this enrollment code was already used",
    }


def test_the_code_is_typed_with_any_case_and_spaces(account, client):
    _collector, code = collector_create(account=account, name="box", by=None)
    assert enroll(client, code.lower().replace("-", " ")).status_code == 201


def test_an_expired_code_is_refused(account, client):
    _collector, code = collector_create(account=account, name="box", by=None)
    EnrollmentCode.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    response = enroll(client, code)
    assert response.status_code == 403 and "expired" in response.json()["detail"]
    assert Collector.objects.get().enrolled_at is None


def test_an_unknown_code_is_refused(db, client):
    response = enroll(client, "AAAA-BBBB-CCCC-DDDD-EEEE")
    assert response.status_code == 403 and response.json()["detail"] == "unknown enrollment code"


def test_an_invalid_key_or_body_is_400_and_keeps_the_code(account, client):
    _collector, code = collector_create(account=account, name="box", by=None)
    bad = client.post(
        "/collector/v1/enroll/", {"code": code, "public_key": "abc"}, content_type="application/json"
    )
    assert bad.status_code == 400 and bad.json()["error"] == "invalid"
    assert (
        client.post("/collector/v1/enroll/", b"{not json", content_type="application/json").status_code == 400
    )
    assert client.post("/collector/v1/enroll/", [1, 2], content_type="application/json").status_code == 400
    assert client.get("/collector/v1/enroll/").status_code == 405
    assert enroll(client, code).status_code == 201  # still usable


def test_a_revoked_collector_cannot_enroll_again(account, client):
    from collectors.services import collector_code_issue, collector_revoke

    collector, _code = collector_create(account=account, name="box", by=None)
    collector_revoke(collector=collector)
    code = collector_code_issue(collector=collector)
    assert enroll(client, code).status_code == 403


def test_the_codes_are_long_and_random(account):
    codes = {collector_create(account=account, name=f"c{n}", by=None)[1] for n in range(20)}
    assert len(codes) == 20
    assert all(len(c.replace("-", "")) == 20 for c in codes)  # 20 x 5 bits = 100 bits


@pytest.mark.django_db(transaction=True)
def test_two_collectors_presenting_the_same_code_at_once_enroll_one(account):
    collector, code = collector_create(account=account, name="box", by=None)
    keys = [protocol.public_key_text(protocol.new_key()) for _ in range(2)]
    outcomes = run_together(
        *[
            (lambda k=k: collector_enroll(code=code, public_key=k, hostname="h", version="1", address=None))
            for k in keys
        ]
    )
    assert sum(isinstance(o, Collector) for o in outcomes) == 1
    refused = [o for o in outcomes if isinstance(o, CollectorRefused)]
    assert len(refused) == 1 and refused[0].status == 403
    collector.refresh_from_db()
    winner = next(o for o in outcomes if isinstance(o, Collector))
    assert collector.public_key == winner.public_key


def test_collector_add_prints_the_code_on_its_last_line(account, site, capsys):
    call_command("collector_add", "Webster box", "--account", "ABC London Pursuit", "--site", site.name)
    code = capsys.readouterr().out.strip().splitlines()[-1]
    collector = Collector.objects.get(name="Webster box")
    assert collector.account == account and collector.site == site
    assert enroll(Client(), code).status_code == 201


def test_collector_add_refuses_unknown_account_site_or_duplicate_name(account, site):
    with pytest.raises(CommandError, match="Unknown account"):
        call_command("collector_add", "box", "--account", "Nobody")
    with pytest.raises(CommandError, match="no site"):
        call_command("collector_add", "box", "--account", str(account.pk), "--site", "Elsewhere")
    call_command("collector_add", "box", "--account", "ABC Cars / ABC London Pursuit")
    with pytest.raises(CommandError, match="already has a collector"):
        call_command("collector_add", "BOX", "--account", "ABC London Pursuit")


@pytest.mark.django_db(transaction=True)
def test_collector_add_in_a_new_process(account):
    from django.conf import settings

    db = settings.DATABASES["default"]
    url = f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    result = run_manage("collector_add", "Depot", "--account", "ABC London Pursuit", DATABASE_URL=url)
    assert result.returncode == 0, result.stderr
    assert len(result.stdout.strip().splitlines()[-1].replace("-", "")) == 20
    bad = run_manage("collector_add", "Depot", "--account", "Nobody", DATABASE_URL=url)
    assert bad.returncode != 0 and "Unknown account" in bad.stderr
