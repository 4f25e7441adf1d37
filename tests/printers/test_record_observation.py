"""device_record_observation: the single entry point the poller writes through."""

from datetime import timedelta

import pytest
from django.utils import timezone

from fmp_snmp.observation import DeviceObservation, SupplyReading, supply_percent
from printers.models import CounterSample, PollAttempt, StatusObservation, SupplyLevelSample
from printers.services import (
    PollOutcome,
    device_record_observation,
    devices_record_observations,
    poll_attempts_prune,
)
from tests import factories

pytestmark = pytest.mark.django_db

T0 = timezone.now().replace(microsecond=0) - timedelta(days=2)


def obs(**kwargs) -> DeviceObservation:
    defaults = {
        "reachable": True,
        "overall": "warning",
        "conditions": ("lowToner",),
        "device_status": 3,
        "printer_status": 3,
        "uptime_seconds": 1000,
        "supplies": (
            SupplyReading(
                index=1, description="Black Toner", type="toner", colour="black", level=40, max_capacity=100
            ),
            SupplyReading(
                index=2, description="Cyan Toner", type="toner", colour="cyan", level=-3, max_capacity=100
            ),
            SupplyReading(index=3, description="Drum", type="drum", colour="", level=-2, max_capacity=-2),
        ),
        "counters": {"total": 1000, "black": 800, "colour": 200},
    }
    defaults.update(kwargs)
    return DeviceObservation(**defaults)


@pytest.fixture
def dev(account, site):
    return factories.device(account, site, serial="S1")


def test_first_poll_stores_latest_state_and_history(dev):
    state = device_record_observation(device=dev, observation=obs(), at=T0)
    assert state.overall == "warning" and state.conditions == ["lowToner"]
    assert (state.level_black, state.level_cyan, state.level_magenta) == (40, None, None)
    assert state.colours_present == ["black", "cyan"]
    assert state.total_pages == 1000
    assert dev.supplies.count() == 3
    assert dev.supplies.get(index=2).percent is None and dev.supplies.get(index=2).level == -3
    assert StatusObservation.objects.filter(device=dev).count() == 1
    assert CounterSample.objects.filter(device=dev).count() == 3
    assert SupplyLevelSample.objects.filter(supply__device=dev).count() == 3


def test_unchanged_poll_adds_no_history_until_the_sample_interval(dev, settings):
    settings.FMP_HISTORY_SAMPLE_HOURS = 24
    device_record_observation(device=dev, observation=obs(), at=T0)
    device_record_observation(device=dev, observation=obs(uptime_seconds=4600), at=T0 + timedelta(hours=1))
    assert StatusObservation.objects.filter(device=dev).count() == 1
    assert CounterSample.objects.filter(device=dev).count() == 3
    assert SupplyLevelSample.objects.filter(supply__device=dev).count() == 3
    device_record_observation(device=dev, observation=obs(), at=T0 + timedelta(hours=25))
    assert StatusObservation.objects.filter(device=dev).count() == 2
    assert CounterSample.objects.filter(device=dev).count() == 6


def test_changes_are_recorded_at_once(dev):
    device_record_observation(device=dev, observation=obs(), at=T0)
    changed = obs(
        overall="error",
        conditions=("jammed",),
        counters={"total": 1010, "black": 805, "colour": 205},
        supplies=(SupplyReading(index=1, type="toner", colour="black", level=35, max_capacity=100),),
    )
    state = device_record_observation(device=dev, observation=changed, at=T0 + timedelta(minutes=5))
    assert state.overall == "error" and state.total_pages == 1010 and state.level_black == 35
    assert StatusObservation.objects.filter(device=dev).count() == 2
    assert CounterSample.objects.filter(device=dev, counter="total").count() == 2
    assert SupplyLevelSample.objects.filter(supply__device=dev, supply__index=1).count() == 2


def test_a_retried_poll_writes_nothing_new(dev):
    device_record_observation(device=dev, observation=obs(), at=T0)
    counts = (
        StatusObservation.objects.count(),
        CounterSample.objects.count(),
        SupplyLevelSample.objects.count(),
        PollAttempt.objects.count(),
    )
    device_record_observation(device=dev, observation=obs(overall="error"), at=T0)
    assert (
        StatusObservation.objects.count(),
        CounterSample.objects.count(),
        SupplyLevelSample.objects.count(),
        PollAttempt.objects.count(),
    ) == counts
    dev.state.refresh_from_db()
    assert dev.state.overall == "warning"


def test_a_retried_failed_poll_counts_once(dev, settings):
    settings.FMP_UNREACHABLE_AFTER = 2
    device_record_observation(device=dev, observation=obs(), at=T0)
    failed = DeviceObservation.unreachable("no answer")
    first = device_record_observation(device=dev, observation=failed, at=T0 + timedelta(hours=1))
    backoff = first.backoff_until
    # The same failed poll stored again (the task was retried): still one failure, so the
    # device is not "not answering" and its back-off did not grow.
    state = device_record_observation(device=dev, observation=failed, at=T0 + timedelta(hours=1))
    assert (state.consecutive_failures, state.reachable, state.backoff_until) == (1, True, backoff)
    assert PollAttempt.objects.filter(device=dev, ok=False).count() == 1
    assert StatusObservation.objects.filter(device=dev, reachable=False).count() == 0


def test_unreachable_device_keeps_its_levels_and_counters(dev, settings):
    settings.FMP_UNREACHABLE_AFTER = 2
    device_record_observation(device=dev, observation=obs(), at=T0)
    state = device_record_observation(
        device=dev, observation=DeviceObservation.unreachable("timeout"), at=T0 + timedelta(hours=1)
    )
    # One lost answer (a printer busy with a jam) does not flip the device to "not answering".
    assert state.reachable and state.last_error == "timeout" and state.consecutive_failures == 1
    state = device_record_observation(
        device=dev, observation=DeviceObservation.unreachable("timeout"), at=T0 + timedelta(hours=2)
    )
    assert not state.reachable
    assert state.level_black == 40 and state.total_pages == 1000
    assert state.status_at == T0 and state.last_attempt_at == T0 + timedelta(hours=2)
    assert state.backoff_until > T0 + timedelta(hours=2)
    assert PollAttempt.objects.filter(device=dev, ok=False).count() == 2
    # Coming back is a change, recorded at once.
    state = device_record_observation(device=dev, observation=obs(), at=T0 + timedelta(hours=3))
    assert state.reachable and state.consecutive_failures == 0 and state.backoff_until is None
    assert list(StatusObservation.objects.filter(device=dev).values_list("reachable", flat=True)) == [
        True,
        False,
        True,
    ]


def test_negative_or_missing_counters_are_not_stored(dev):
    device_record_observation(device=dev, observation=obs(counters={"total": -5, "black": None}), at=T0)
    assert not CounterSample.objects.filter(device=dev).exists()


def test_duplicate_supply_rows_keep_the_last(dev):
    supplies = (
        SupplyReading(index=1, type="toner", colour="black", level=10, max_capacity=100),
        SupplyReading(index=1, type="toner", colour="black", level=20, max_capacity=100),
    )
    device_record_observation(device=dev, observation=obs(supplies=supplies), at=T0)
    assert dev.supplies.get().level == 20


def test_poll_attempts_are_pruned_after_the_retention(dev, settings):
    settings.FMP_POLL_ATTEMPT_RETENTION_DAYS = 1
    for i in range(5):
        device_record_observation(device=dev, observation=obs(), at=T0 + timedelta(hours=i * 12))
    assert PollAttempt.objects.filter(device=dev).count() == 5
    assert poll_attempts_prune() == 3  # T0 + 0, 12 and 24 h are over a day old
    assert PollAttempt.objects.filter(device=dev).count() == 2


def test_a_batch_is_written_in_a_fixed_number_of_queries(account, site, django_assert_max_num_queries):
    devices = [factories.device(account, site, serial=f"B{i}") for i in range(30)]
    outcomes = [PollOutcome(d, obs(), T0) for d in devices]
    with django_assert_max_num_queries(16):
        devices_record_observations(outcomes=outcomes)
    assert CounterSample.objects.count() == 90 and SupplyLevelSample.objects.count() == 90


@pytest.mark.parametrize(
    ("level", "capacity", "expected"),
    [
        (50, 100, 50),
        (-1, 100, None),
        (-2, 100, None),
        (-3, 100, None),
        (50, -2, None),
        (50, 0, None),
        (150, 100, 100),
        (None, 100, None),
        (7, 3000, 0),
        (2999, 3000, 100),
    ],
)
def test_percent_only_from_real_numbers(level, capacity, expected):
    assert supply_percent(level, capacity) == expected
