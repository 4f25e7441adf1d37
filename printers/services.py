"""Writes for the fleet: poll results, and the actions of the printers menu."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from printers.models import (
    CounterSample,
    Device,
    DeviceEvent,
    DeviceState,
    PollAttempt,
    StatusObservation,
    Supply,
    SupplyLevelSample,
)
from printers.observation import DeviceObservation, SupplyReading

logger = logging.getLogger(__name__)

TONER_COLOURS = ("black", "cyan", "magenta", "yellow")
MARKING_TYPES = {"toner", "ink"}


def _sample_interval() -> timedelta:
    return timedelta(hours=settings.FMP_HISTORY_SAMPLE_HOURS)


def _clip(text: str | None, length: int) -> str:
    return (text or "")[:length]


@transaction.atomic
def device_record_observation(
    *, device: Device, observation: DeviceObservation, at: datetime | None = None
) -> DeviceState:
    """Store one poll of ``device``: the single entry point of the SNMP engine.

    Latest values are updated in place; history rows are written only when a value
    changed or the last sample is older than ``FMP_HISTORY_SAMPLE_HOURS``, so history
    stays bounded. Calling it again with the same ``at`` writes nothing new. A device that
    did not answer keeps its last levels and counters: only its reachability and last
    attempt change.
    """
    at = at or timezone.now()
    state, _created = DeviceState.objects.select_for_update().get_or_create(device=device)
    _record_attempt(device, observation, at)
    if state.last_attempt_at is None or at > state.last_attempt_at:
        state.last_attempt_at = at
    if not observation.reachable:
        if state.reachable:
            _status_sample(device, at, state, reachable=False)
        state.reachable = False
        state.last_error = _clip(observation.error, 500)
        state.save()
        return state
    if state.status_at is not None and at <= state.status_at:
        # An older or repeated result (a retried task): the newer state stands.
        state.save(update_fields=["last_attempt_at"])
        return state

    changed = (
        not state.reachable
        or state.overall != observation.overall
        or list(state.conditions) != list(observation.conditions)
        or state.device_status != observation.device_status
        or state.printer_status != observation.printer_status
        or state.fax_state != observation.fax_state
        or state.scanner_state != observation.scanner_state
    )
    state.reachable = True
    state.last_error = ""
    state.overall = observation.overall
    state.conditions = list(observation.conditions)
    state.device_status = observation.device_status
    state.printer_status = observation.printer_status
    state.uptime_seconds = observation.uptime_seconds
    state.fax_state = _clip(observation.fax_state, 50)
    state.scanner_state = _clip(observation.scanner_state, 10)
    last_sample = device.status_history.values_list("observed_at", flat=True).first()
    if changed or last_sample is None or at - last_sample >= _sample_interval():
        _status_sample(device, at, state, reachable=True)
    state.status_at = at

    _record_supplies(device, observation.supplies, at, state)
    _record_counters(device, observation.counters, at, state)
    _record_identity(device, observation)
    state.save()
    return state


def _record_attempt(device: Device, observation: DeviceObservation, at: datetime) -> None:
    PollAttempt.objects.bulk_create(
        [
            PollAttempt(
                device=device,
                started_at=at,
                duration_ms=observation.duration_ms,
                ok=observation.reachable,
                error=_clip(observation.error, 500),
                trigger=_clip(observation.trigger, 20),
            )
        ],
        ignore_conflicts=True,
    )
    stale = device.poll_attempts.values_list("pk", flat=True)[PollAttempt.KEEP : PollAttempt.KEEP + 100]
    if stale:
        PollAttempt.objects.filter(pk__in=list(stale)).delete()


def _status_sample(device: Device, at: datetime, state: DeviceState, *, reachable: bool) -> None:
    StatusObservation.objects.bulk_create(
        [
            StatusObservation(
                device=device,
                observed_at=at,
                overall=state.overall,
                conditions=list(state.conditions),
                device_status=state.device_status,
                printer_status=state.printer_status,
                uptime_seconds=state.uptime_seconds,
                fax_state=state.fax_state,
                scanner_state=state.scanner_state,
                reachable=reachable,
            )
        ],
        ignore_conflicts=True,
    )


def _record_supplies(
    device: Device, readings: Iterable[SupplyReading], at: datetime, state: DeviceState
) -> None:
    readings = list({r.index: r for r in readings}.values())  # duplicate rows: the last wins
    existing = {s.index: s for s in device.supplies.all()}
    last_samples = dict(
        SupplyLevelSample.objects.filter(supply__device=device)
        .values("supply_id")
        .annotate(last=Max("observed_at"))
        .values_list("supply_id", "last")
    )
    samples = []
    for reading in readings:
        supply = existing.get(reading.index)
        values = {
            "description": _clip(reading.description, 255),
            "type": reading.type,
            "colour": reading.colour,
            "level": reading.level,
            "max_capacity": reading.max_capacity,
            "percent": reading.percent,
        }
        level_changed = True
        if supply is None:
            supply = Supply.objects.create(device=device, index=reading.index, updated_at=at, **values)
        else:
            level_changed = (supply.level, supply.max_capacity) != (reading.level, reading.max_capacity)
            dirty = [k for k, v in values.items() if getattr(supply, k) != v]
            for key in dirty:
                setattr(supply, key, values[key])
            supply.updated_at = at
            supply.save(update_fields=[*dirty, "updated_at"])
        last = last_samples.get(supply.pk)
        if level_changed or last is None or at - last >= _sample_interval():
            samples.append(
                SupplyLevelSample(
                    supply=supply,
                    observed_at=at,
                    level=reading.level,
                    max_capacity=reading.max_capacity,
                    percent=reading.percent,
                )
            )
    SupplyLevelSample.objects.bulk_create(samples, ignore_conflicts=True)
    _denormalise_levels(state, readings)


def _denormalise_levels(state: DeviceState, readings: list[SupplyReading]) -> None:
    """The grid's four toner columns: the first marking supply of each colour."""
    levels: dict[str, int | None] = {}
    for reading in sorted(readings, key=lambda r: r.index):
        if reading.colour in TONER_COLOURS and reading.type in MARKING_TYPES and reading.colour not in levels:
            levels[reading.colour] = reading.percent
    for colour in TONER_COLOURS:
        setattr(state, f"level_{colour}", levels.get(colour))
    state.colours_present = [c for c in TONER_COLOURS if c in levels]


def _record_counters(device: Device, counters: dict[str, int], at: datetime, state: DeviceState) -> None:
    if not counters:
        return
    last = {}
    for counter, value, observed_at in (
        CounterSample.objects.filter(device=device, counter__in=list(counters))
        .order_by("counter", "-observed_at")
        .values_list("counter", "value", "observed_at")
    ):
        last.setdefault(counter, (value, observed_at))
    samples = []
    for counter, value in counters.items():
        if value is None or value < 0:
            continue
        previous = last.get(counter)
        if previous is None or previous[0] != value or at - previous[1] >= _sample_interval():
            samples.append(CounterSample(device=device, counter=counter, observed_at=at, value=value))
    CounterSample.objects.bulk_create(samples, ignore_conflicts=True)
    if counters.get("total") is not None and counters["total"] >= 0:
        state.total_pages = counters["total"]


def _record_identity(device: Device, observation: DeviceObservation) -> None:
    dirty = []
    if observation.sys_name and device.system_name != _clip(observation.sys_name, 255):
        device.system_name = _clip(observation.sys_name, 255)
        dirty.append("system_name")
    if observation.location and device.printer_location != _clip(observation.location, 255):
        device.printer_location = _clip(observation.location, 255)
        dirty.append("printer_location")
    if observation.serial and not device.serial_number:
        device.serial_number = _clip(observation.serial, 100)
        dirty.append("serial_number")
    if dirty:
        device.save(update_fields=dirty)


# --- Actions of the printers menu --------------------------------------------------------


def device_event_record(*, device: Device, key: str, user=None, **data) -> None:
    DeviceEvent.objects.create(device=device, key=key, user=user, data=data)


def device_contract_set(*, device: Device, under_contract: bool, by) -> bool:
    """Put the device under or out of contract; False when it already was."""
    if device.under_contract == under_contract:
        return False
    device.under_contract = under_contract
    device.save(update_fields=["under_contract"])
    device_event_record(
        device=device, key="printers.device.contract_changed", user=by, under_contract=under_contract
    )
    return True


def device_status_refresh_request(*, devices: list[Device], by) -> int:
    """Mark the devices as waiting for a fresh status and queue an immediate poll."""
    now = timezone.now()
    ids = [d.pk for d in devices]
    Device.objects.filter(pk__in=ids).update(refresh_requested_at=now)
    for device in devices:
        device.refresh_requested_at = now
    from printers.tasks import queue_status_refresh

    transaction.on_commit(lambda: queue_status_refresh(ids))
    return len(ids)


def device_location_update(*, device: Device, location: str, by) -> tuple[bool, str]:
    """Store the device's new location. Returns (ok, message for the user)."""
    old = device.device_location
    device.device_location = location
    device.save(update_fields=["device_location"])
    device_event_record(device=device, key="printers.device.location_changed", user=by, old=old, new=location)
    return True, str(_("location updated."))


def device_reset(*, device: Device, by) -> tuple[bool, str]:
    """Reset the printer remotely (needs the SNMP engine)."""
    device_event_record(device=device, key="printers.device.reset_refused", user=by)
    return False, str(_("remote reset is not available: the monitoring engine is not connected."))


def device_test_page_print(*, device: Device, by) -> tuple[bool, str]:
    """Send a test page to the printer (needs the SNMP engine)."""
    device_event_record(device=device, key="printers.device.test_page_refused", user=by)
    return False, str(_("test page is not available: the monitoring engine is not connected."))
