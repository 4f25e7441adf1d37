"""Health: a silent collector is shown unresponsive and opens one help-desk ticket, closed
when it comes back. A real Celery worker (Redis broker) stores uploads; an upload whose
task was lost is queued again by beat."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone, translation

from accounts.models import Account
from collectors.admin import collector_state as _collector_state
from collectors.models import Collector, CollectorBatch
from collectors.services import collector_batches_requeue, collectors_health_check
from collectors.tasks import batch_store_queue
from printers.models import CounterSample
from tests import factories
from tests.collectors.conftest import CollectorClient, batch, enrolled, item
from tests.fixtures_snmp import wait_for
from tickets.models import Ticket


def collector_state(collector) -> str:
    with translation.override("en"):
        return _collector_state(collector)


def silence(collector, minutes):
    Collector.objects.filter(pk=collector.pk).update(last_seen_at=timezone.now() - timedelta(minutes=minutes))


@pytest.mark.django_db
def test_a_silent_collector_opens_one_ticket_closed_when_it_returns(cc, settings):
    silence(cc.collector, settings.FMP_COLLECTOR_UNRESPONSIVE_MINUTES - 1)
    assert collectors_health_check() == 0
    silence(cc.collector, settings.FMP_COLLECTOR_UNRESPONSIVE_MINUTES + 1)
    assert collectors_health_check() == 1
    assert collectors_health_check() == 0  # told once, whatever the number of runs
    ticket = Ticket.objects.get()
    assert ticket.account == cc.collector.account and ticket.state == "new" and ticket.origin == "monitoring"
    assert cc.collector.name in ticket.summary
    collector = Collector.objects.get(pk=cc.collector.pk)
    assert collector.unresponsive_since and collector_state(collector) == "unresponsive"
    assert cc.get("config/").status_code == 200  # it is back
    collector.refresh_from_db()
    ticket.refresh_from_db()
    assert collector.unresponsive_since is None and collector_state(collector) == "active"
    assert ticket.state == "done" and ticket.events.filter(kind="condition_cleared").exists()
    # Silent again later: a new ticket.
    silence(cc.collector, settings.FMP_COLLECTOR_UNRESPONSIVE_MINUTES + 1)
    assert collectors_health_check() == 1
    assert Ticket.objects.filter(state="new").count() == 1


@pytest.mark.django_db
def test_revoked_and_waiting_collectors_are_not_unresponsive(account, settings):
    from collectors.services import collector_create, collector_revoke

    waiting, _code = collector_create(account=account, name="waiting", by=None)
    revoked, _key = enrolled(account, name="revoked")
    collector_revoke(collector=revoked)
    silence(revoked, 999)
    assert collectors_health_check() == 0 and not Ticket.objects.exists()
    inactive, _key = enrolled(account, name="inactive customer")
    silence(inactive, 999)
    Account.objects.filter(pk=account.pk).update(is_active=False)
    assert collectors_health_check() == 0 and not Ticket.objects.exists()
    assert collector_state(waiting) == "waiting for enrollment"
    assert collector_state(Collector.objects.get(pk=revoked.pk)) == "revoked"


@pytest.mark.django_db
def test_the_admin_lists_collectors_and_shows_a_new_code_once(helpdesk, account, site):
    client = Client()
    client.force_login(helpdesk)
    enrolled(account, name="Webster box", site=site)
    listing = client.get("/admin/collectors/collector/")
    assert listing.status_code == 200 and b"Webster box" in listing.content
    response = client.post(
        "/admin/collectors/collector/add/",
        {
            "account": account.pk,
            "site": site.pk,
            "name": "Depot box",
            "poll_interval": 300,
            "conflicts-TOTAL_FORMS": 0,
            "conflicts-INITIAL_FORMS": 0,
        },
        follow=True,
    )
    assert response.status_code == 200
    collector = Collector.objects.get(name="Depot box")
    assert collector.enrollment_codes.count() == 1
    messages = [str(m) for m in response.context["messages"]]
    assert any("Depot box" in m and "-" in m for m in messages), messages
    code = client.post(
        "/admin/collectors/collector/",
        {"action": "code_issue", "_selected_action": [collector.pk]},
        follow=True,
    )
    assert any("Depot box" in str(m) for m in code.context["messages"])
    assert collector.enrollment_codes.count() == 2
    for state in ("waiting", "active", "unresponsive", "revoked"):
        assert client.get(f"/admin/collectors/collector/?state={state}").status_code == 200
    revoke = client.post(
        "/admin/collectors/collector/",
        {"action": "revoke", "_selected_action": [collector.pk]},
        follow=True,
    )
    assert revoke.status_code == 200
    collector.refresh_from_db()
    assert collector.revoked_at is not None
    assert client.get("/admin/collectors/collectorbatch/").status_code == 200
    assert client.get("/admin/collectors/collectorconflict/").status_code == 200


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_stores_the_uploads(account, site, celery_worker):
    collector, key = enrolled(account, site=site)
    device = factories.device(account, site, collector=collector, ip_address="10.1.2.3", serial="W-1")
    cc = CollectorClient(collector, key)
    t0 = time.time() - 3600
    for n in range(3):
        body = batch([item(device, at=t0 + n * 600, serial="W-1", counters={"total": 100 + n})])
        assert cc.post("results/", body).status_code == 202
    assert wait_for(lambda: CollectorBatch.objects.filter(status="stored").count() == 3)
    values = list(
        CounterSample.objects.filter(device=device).order_by("observed_at").values_list("value", flat=True)
    )
    assert values == [100, 101, 102]


@pytest.mark.django_db(transaction=True)
def test_an_upload_whose_task_was_lost_is_queued_again(account, site, celery_worker, settings):
    collector, _key = enrolled(account, site=site)
    device = factories.device(account, site, collector=collector, ip_address="10.1.2.3", serial="W-2")
    # Accepted, but the task never reached a worker (the broker lost it).
    from collectors.services import collector_batch_accept

    status, _answer = collector_batch_accept(
        collector=collector, body=batch([item(device, serial="W-2")]), enqueue=lambda pk: None
    )
    assert status == 202
    assert collector_batches_requeue(enqueue=batch_store_queue) == 0  # too recent
    CollectorBatch.objects.update(received_at=timezone.now() - timedelta(minutes=10))
    assert collector_batches_requeue(enqueue=batch_store_queue) == 1
    assert wait_for(lambda: CollectorBatch.objects.filter(status="stored").exists())
    assert CounterSample.objects.filter(device=device).count() == 1
