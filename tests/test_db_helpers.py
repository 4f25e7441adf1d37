"""fmp.db's fast bulk writers store exactly what the ORM's own bulk writers store."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from fmp.db import bulk_insert_fast, bulk_update_fast
from meters.choices import ReadSource
from meters.models import MeterRead
from printers.models import CounterSample, DeviceState, PollAttempt
from tests import factories

pytestmark = pytest.mark.django_db


def test_bulk_insert_sets_keys_fills_auto_now_add_and_prepares_values_the_orm_way(account):
    device = factories.device(account)
    at = timezone.now() - timedelta(days=1)
    reads = [
        MeterRead(
            device=device,
            account=account,
            counter="total",
            value=1_000 + n,
            read_at=at + timedelta(hours=n),
            source=ReadSource.AUTOMATIC,  # an enum member: Django's preparation, not the fast path
        )
        for n in range(3)
    ]
    bulk_insert_fast(reads)
    assert all(r.pk for r in reads)
    stored = {r.pk: r for r in MeterRead.objects.filter(device=device)}
    assert sorted(stored) == sorted(r.pk for r in reads)
    for read in reads:
        row = stored[read.pk]
        assert (row.value, row.read_at, row.source, row.by_id) == (
            read.value,
            read.read_at,
            "automatic",
            None,
        )
        assert row.created_at is not None and abs(row.created_at - timezone.now()) < timedelta(minutes=1)
        assert not read._state.adding


def test_bulk_insert_ignores_conflicts_when_asked(account):
    device = factories.device(account)
    at = timezone.now()
    bulk_insert_fast(
        [CounterSample(device=device, counter="total", observed_at=at, value=5)], ignore_conflicts=True
    )
    bulk_insert_fast(
        [
            CounterSample(device=device, counter="total", observed_at=at, value=6),  # the same sample again
            CounterSample(device=device, counter="colour", observed_at=at, value=7),
        ],
        ignore_conflicts=True,
    )
    assert sorted(CounterSample.objects.filter(device=device).values_list("counter", "value")) == [
        ("colour", 7),
        ("total", 5),
    ]


def test_a_naive_datetime_takes_djangos_way(account, settings):
    """Not the fast path: Django makes it aware in the default time zone (with its warning)."""
    device = factories.device(account)
    naive = datetime(2026, 3, 1, 12, 0)
    with pytest.warns(RuntimeWarning):
        bulk_insert_fast([PollAttempt(device=device, started_at=naive, ok=True)], ignore_conflicts=True)
    stored = PollAttempt.objects.get(device=device).started_at
    assert stored == timezone.make_aware(naive)


def test_bulk_update_writes_json_arrays_nulls_and_times(account):
    device = factories.device(account, state="ok", total=10)
    state = DeviceState.objects.get(device=device)
    at = timezone.now()
    state.counters_last = {"total": {"value": 12, "at": at.isoformat()}}
    state.conditions = ["paper_out", "door_open"]
    state.uptime_seconds = None
    state.status_at = at
    state.reachable = False
    assert (
        bulk_update_fast([state], ["counters_last", "conditions", "uptime_seconds", "status_at", "reachable"])
        == 1
    )
    stored = DeviceState.objects.get(device=device)
    assert stored.counters_last == {"total": {"value": 12, "at": at.isoformat()}}
    assert stored.conditions == ["paper_out", "door_open"]
    assert (stored.uptime_seconds, stored.status_at, stored.reachable) == (None, at, False)
