"""Writes for the fleet: poll results, and the actions of the printers menu."""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from fmp.db import bulk_insert_fast, bulk_update_fast
from fmp_snmp.observation import DeviceObservation, SupplyReading, serial_key
from meters.services import meter_reads_record_automatic
from printers.models import (
    CounterSample,
    Device,
    DeviceAlert,
    DeviceCommand,
    DeviceEvent,
    DeviceState,
    PollAttempt,
    StatusObservation,
    Supply,
    SupplyLevelSample,
)

logger = logging.getLogger(__name__)

TONER_COLOURS = ("black", "cyan", "magenta", "yellow")
MARKING_TYPES = {"toner", "ink"}


def _clip(text: str | None, length: int) -> str:
    return (text or "")[:length]


@dataclass(frozen=True)
class PollOutcome:
    """One poll result to store: the device, what was found, and when."""

    device: Device
    observation: DeviceObservation
    at: datetime


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
    return devices_record_observations(outcomes=[PollOutcome(device, observation, at or timezone.now())])[0]


@transaction.atomic
def devices_record_observations(
    *, outcomes: list[PollOutcome], warnings: list[str] | None = None
) -> list[DeviceState]:
    """The same as :func:`device_record_observation` for many devices, in a fixed number of
    queries. A device answered by another printer is told in ``warnings`` (for the poll run)."""
    if not outcomes:
        return []
    ids = [o.device.pk for o in outcomes]
    states = {st.device_id: st for st in DeviceState.objects.select_for_update().filter(device_id__in=ids)}
    missing = [i for i in ids if i not in states]
    if missing:  # a device's first poll (two workers may create it at once: one row stays)
        DeviceState.objects.bulk_create([DeviceState(device_id=i) for i in missing], ignore_conflicts=True)
        states.update(
            (st.device_id, st) for st in DeviceState.objects.select_for_update().filter(device_id__in=missing)
        )
    supplies: dict[int, dict[int, Supply]] = defaultdict(dict)
    for supply in Supply.objects.filter(device_id__in=ids):
        supplies[supply.device_id][supply.index] = supply
    writer = _HistoryWriter()
    for outcome in outcomes:
        writer.apply(outcome, states[outcome.device.pk], supplies[outcome.device.pk])
    writer.flush()
    if writer.foreign:
        _foreign_answers_hand_over(writer.foreign, warnings)
    return [states[o.device.pk] for o in outcomes]


def observations_store(
    *, outcomes: list[PollOutcome], warnings: list[str] | None = None
) -> list[DeviceState]:
    """Store poll results and raise or clear the devices' conditions: the one path of the
    central poller and of the site collectors' uploads.

    Results are taken in time order, in rounds where each device appears once, so that a
    collector's backlog (several polls of a device, sent together after an outage) is
    stored as the polls happened: history, conditions and their debounce, meter reads.
    """
    from printers.conditions import device_conditions_sync

    rounds: list[list[PollOutcome]] = []
    polls_of: dict[int, int] = defaultdict(int)  # a device's k-th result goes in round k
    for outcome in sorted(outcomes, key=lambda o: o.at):
        k = polls_of[outcome.device.pk]
        polls_of[outcome.device.pk] += 1
        if k == len(rounds):
            rounds.append([])
        rounds[k].append(outcome)
    states: list[DeviceState] = []
    with transaction.atomic():
        for batch in rounds:
            stored = devices_record_observations(outcomes=batch, warnings=warnings)
            device_conditions_sync(states=stored, at={o.device.pk: o.at for o in batch})
            states.extend(stored)
    return states


def answered_by_another(device: Device, observation: DeviceObservation) -> str:
    """Why the answer is not this device's ("serial" / "maker"), or "" when it may be.

    The serial decides when both are known (compared without case and surrounding spaces);
    an answer without a serial is refused only when its maker is plainly another one than
    the device model's. A device recorded without a serial takes the one it answers with.
    """
    if observation.serial and device.serial_number:
        return "" if serial_key(observation.serial) == serial_key(device.serial_number) else "serial"
    if observation.serial or not observation.vendor or not device.model_id:
        return ""
    # The model is loaded with the device by the poller's claim (no query here).
    maker = (device.model.manufacturer.name or "").strip().lower()
    vendor = observation.vendor.strip().lower()
    if maker and vendor and maker not in vendor and vendor not in maker:
        return "maker"
    return ""


def _foreign_answers_hand_over(foreign: list[tuple[Device, DeviceObservation]], warnings) -> None:
    """Give each foreign answer to discovery's serial matching: a known printer of the same
    customer, polled by the same poller (the same site collector, or the central poller),
    takes the address it answered at. A device polled by someone else never moves: a
    collector cannot re-address devices it does not poll."""
    from printers.discovery import account_family_ids, device_address_match, device_known_by_serial

    for device, observation in foreign:
        host = str(device.ip_address or device.dns_name)
        moved = None
        if observation.serial and device.ip_address:
            moved = device_address_match(
                account_id=device.account_id,
                serial=observation.serial,
                host=host,
                port=device.snmp_port,
                collector_id=device.collector_id,
                exclude_pk=device.pk,
            )
        note = f": device {moved.pk} now has this address" if moved else ""
        if moved is None and observation.serial:
            other = device_known_by_serial(
                account_family_ids(device.account_id), observation.serial, exclude_pk=device.pk
            )
            if other is not None and other.collector_id != device.collector_id:
                note = f": device {other.pk} has this serial but another poller polls it, not moved"
                if device.collector_id is not None:
                    logging.getLogger("fmp.security").warning(
                        "Collector %s: its device %s answered with the serial of device %s "
                        "(account %s), polled by another poller: not moved",
                        device.collector_id,
                        device.pk,
                        other.pk,
                        other.account_id,
                    )
        text = "device %s (serial %s) at %s was answered by serial %s%s" % (
            device.pk,
            device.serial_number,
            host,
            observation.serial or "?",
            note,
        )
        logger.warning("Poll: %s", text)
        if warnings is not None:
            warnings.append(text)


class _HistoryWriter:
    """Collects the rows of a batch of poll results, then writes them in bulk."""

    STATE_FIELDS = [
        "overall",
        "conditions",
        "device_status",
        "printer_status",
        "uptime_seconds",
        "fax_state",
        "scanner_state",
        "reachable",
        "status_at",
        "last_attempt_at",
        "last_error",
        "level_black",
        "level_cyan",
        "level_magenta",
        "level_yellow",
        "colours_present",
        "total_pages",
        "status_sampled_at",
        "counters_last",
        "consecutive_failures",
        "backoff_until",
    ]
    SUPPLY_FIELDS = [
        "description",
        "type",
        "colour",
        "level",
        "max_capacity",
        "percent",
        "updated_at",
        "sampled_at",
    ]

    def __init__(self) -> None:
        self.interval = timedelta(hours=settings.FMP_HISTORY_SAMPLE_HOURS)
        self.attempts: list[PollAttempt] = []
        self.status_rows: list[StatusObservation] = []
        self.new_supplies: list[tuple[Supply, SupplyReading, datetime]] = []
        self.changed_supplies: list[Supply] = []
        self.read_supplies: list[Supply] = []
        self.supply_samples: list[SupplyLevelSample] = []
        self.counter_samples: list[CounterSample] = []
        self.meter_reads: list = []
        self.states: list[DeviceState] = []
        self.identities: list[Device] = []
        self.events: list[DeviceEvent] = []
        self.foreign: list[tuple[Device, DeviceObservation]] = []
        self.alert_tables: dict[int, tuple[tuple, datetime]] = {}  # device id → (alerts, poll time)

    def apply(self, outcome: PollOutcome, state: DeviceState, supplies: dict[int, Supply]) -> None:
        device, observation, at = outcome.device, outcome.observation, outcome.at
        self.states.append(state)
        # Read by printers.conditions: did this call bring an answer that reports the error
        # state? (Not for a repeat, a failure, another printer's or a partial answer.)
        state.conditions_answered = False
        if observation.reachable:
            other = answered_by_another(device, observation)
            if other:
                observation = self._foreign(device, observation, other, state, at)
        self.attempts.append(
            PollAttempt(
                device_id=device.pk,
                started_at=at,
                duration_ms=observation.duration_ms,
                ok=observation.reachable,
                error=_clip(observation.error, 500),
                trigger=_clip(observation.trigger, 20),
            )
        )
        if state.last_attempt_at is not None and at <= state.last_attempt_at:
            # An older or repeated result (a retried task), answered or not: it was counted
            # when it first came, and the newer state stands.
            return
        state.last_attempt_at = at
        if not observation.reachable:
            state.consecutive_failures += 1
            state.backoff_until = at + _backoff(state.consecutive_failures)
            state.last_error = _clip(observation.error, 500)
            if state.reachable and state.consecutive_failures >= settings.FMP_UNREACHABLE_AFTER:
                # Debounced: one lost answer (a printer busy with a jam) is not "unreachable".
                state.reachable = False
                self._status_row(device, at, state, reachable=False)
            return
        state.consecutive_failures = 0
        state.backoff_until = None
        changed = not state.reachable
        state.reachable = True
        state.last_error = ""
        if observation.uptime_seconds is not None:
            state.uptime_seconds = observation.uptime_seconds
        if observation.status_known:
            # Without the error state the overall state is not known either: both stay.
            fields = {
                "device_status": observation.device_status,
                "printer_status": observation.printer_status,
                "fax_state": _clip(observation.fax_state, 50),
                "scanner_state": _clip(observation.scanner_state, 10),
            }
            if observation.conditions_known:
                fields["overall"] = observation.overall
                fields["conditions"] = list(observation.conditions)
                state.conditions_answered = True
            for name, value in fields.items():
                if getattr(state, name) != value:
                    changed = True
                    setattr(state, name, value)
            state.status_at = at
        if changed or self._due(state.status_sampled_at, at):
            self._status_row(device, at, state, reachable=True)
        if observation.supplies_known:
            self._supplies(device, observation.supplies, at, state, supplies)
        self._counters(device, observation.counters, at, state)
        if observation.alerts_known:
            self.alert_tables[device.pk] = (observation.alerts, at)
        self._identity(device, observation)

    def _foreign(self, device, observation, other: str, state, at) -> DeviceObservation:
        """Another printer answered at this device's address (DHCP gave it away): nothing of
        the answer is stored here. The device counts it as a failed poll (it is not where it
        was); the help desk hears of it once per streak, and the answer goes to discovery."""
        error = _clip(
            "answered by another printer (serial %s, model %s)"
            % (observation.serial or "?", observation.model or "?"),
            500,
        )
        if state.last_error != error:
            self.events.append(
                DeviceEvent(
                    device=device,
                    key="printers.device.answered_by_another",
                    data={
                        "address": str(device.ip_address or device.dns_name),
                        "expected_serial": device.serial_number,
                        "answered_serial": observation.serial,
                        "answered_model": observation.model,
                        "reason": other,
                    },
                )
            )
        self.foreign.append((device, observation))
        return DeviceObservation.unreachable(
            error, duration_ms=observation.duration_ms, trigger=observation.trigger
        )

    def _due(self, last: datetime | None, at: datetime) -> bool:
        return last is None or at - last >= self.interval

    def _status_row(self, device: Device, at: datetime, state: DeviceState, *, reachable: bool) -> None:
        state.status_sampled_at = at
        self.status_rows.append(
            StatusObservation(
                device_id=device.pk,
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
        )

    def _supplies(self, device, readings, at, state, existing: dict[int, Supply]) -> None:
        readings = list({r.index: r for r in readings}.values())  # duplicate rows: the last wins
        for reading in readings:
            values = {
                "description": _clip(reading.description, 255),
                "type": reading.type,
                "colour": reading.colour,
                "level": reading.level,
                "max_capacity": reading.max_capacity,
                "percent": reading.percent,
            }
            supply = existing.get(reading.index)
            if supply is None:
                supply = Supply(
                    device_id=device.pk, index=reading.index, updated_at=at, sampled_at=at, **values
                )
                existing[reading.index] = supply
                self.new_supplies.append((supply, reading, at))
                continue
            level_changed = (supply.level, supply.max_capacity) != (reading.level, reading.max_capacity)
            changed = False
            for key, value in values.items():
                if getattr(supply, key) != value:
                    setattr(supply, key, value)
                    changed = True
            supply.updated_at = at  # when the level was last read, changed or not
            if level_changed or self._due(supply.sampled_at, at):
                supply.sampled_at = at
                self.supply_samples.append(_sample(supply, reading, at))
            # Most polls change no supply: those rows get only their two times written.
            (self.changed_supplies if changed else self.read_supplies).append(supply)
        _denormalise_levels(state, readings)

    def _counters(self, device, counters: dict[str, int], at, state) -> None:
        last = dict(state.counters_last or {})
        for counter, value in counters.items():
            if value is None or not isinstance(value, int) or value < 0:
                continue
            previous = last.get(counter)
            previous_at = datetime.fromisoformat(previous["at"]) if previous else None
            if previous is None or previous["value"] != value or self._due(previous_at, at):
                self.counter_samples.append(
                    CounterSample(device_id=device.pk, counter=counter, observed_at=at, value=value)
                )
                self.meter_reads.append(
                    meter_reads_record_automatic(
                        device_id=device.pk,
                        account_id=device.account_id,
                        counter=counter,
                        value=value,
                        previous=previous["value"] if previous else None,
                        at=at,
                    )
                )
                last[counter] = {"value": value, "at": at.isoformat()}
        state.counters_last = last
        total = counters.get("total")
        if isinstance(total, int) and total >= 0:
            state.total_pages = total

    def _identity(self, device: Device, observation: DeviceObservation) -> None:
        dirty = False
        if observation.sys_name and device.system_name != _clip(observation.sys_name, 255):
            device.system_name = _clip(observation.sys_name, 255)
            dirty = True
        if observation.location and device.printer_location != _clip(observation.location, 255):
            device.printer_location = _clip(observation.location, 255)
            dirty = True
        if observation.serial and not device.serial_number.strip():
            device.serial_number = _clip(observation.serial.strip(), 100)
            dirty = True
        if dirty:
            self.identities.append(device)

    def flush(self) -> None:
        if self.events:
            DeviceEvent.objects.bulk_create(self.events)
        bulk_insert_fast(self.attempts, ignore_conflicts=True)
        bulk_insert_fast(self.status_rows, ignore_conflicts=True)
        if self.new_supplies:
            Supply.objects.bulk_create(
                [s for s, _r, _at in self.new_supplies], ignore_conflicts=True, batch_size=1000
            )
            created = {
                (s.device_id, s.index): s
                for s in Supply.objects.filter(
                    device_id__in={s.device_id for s, _r, _at in self.new_supplies}
                )
            }
            for supply, reading, at in self.new_supplies:
                stored = created.get((supply.device_id, supply.index))
                if stored is not None:
                    self.supply_samples.append(_sample(stored, reading, at))
        bulk_update_fast(self.changed_supplies, self.SUPPLY_FIELDS)
        bulk_update_fast(self.read_supplies, ["updated_at", "sampled_at"])
        bulk_insert_fast(self.supply_samples, ignore_conflicts=True)
        bulk_insert_fast(self.counter_samples, ignore_conflicts=True)
        bulk_insert_fast(self.meter_reads)
        bulk_update_fast(self.states, self.STATE_FIELDS)
        self._alerts_flush()
        if self.identities:
            bulk_update_fast(self.identities, ["system_name", "printer_location", "serial_number"])

    def _alerts_flush(self) -> None:
        """Each polled alert table replaces the stored one where it differs; an alert still
        there keeps when it was first seen. Most polls change nothing and write nothing."""
        if not self.alert_tables:
            return
        stored: dict[int, dict[tuple, DeviceAlert]] = defaultdict(dict)
        for alert in DeviceAlert.objects.filter(device_id__in=self.alert_tables):
            stored[alert.device_id][alert.key()] = alert
        replaced, rows = [], []
        for device_id, (readings, at) in self.alert_tables.items():
            before = stored.get(device_id, {})
            new = [
                DeviceAlert(
                    device_id=device_id,
                    index=r.index,
                    severity=r.severity,
                    training=r.training,
                    group=r.group,
                    group_index=r.group_index,
                    location=r.location,
                    code=r.code,
                    description=_clip(r.description, 255),
                    raised_at=at - timedelta(seconds=r.age_seconds) if r.age_seconds is not None else None,
                    first_seen_at=at,
                )
                for r in readings
            ]
            if {a.key() for a in new} == set(before) and all(
                (a.severity, a.training) == (before[a.key()].severity, before[a.key()].training) for a in new
            ):
                continue
            for alert in new:
                if alert.key() in before:
                    alert.first_seen_at = before[alert.key()].first_seen_at
            replaced.append(device_id)
            rows.extend(new)
        if replaced:
            DeviceAlert.objects.filter(device_id__in=replaced).delete()
            bulk_insert_fast(rows)


def _sample(supply: Supply, reading: SupplyReading, at: datetime) -> SupplyLevelSample:
    return SupplyLevelSample(
        supply_id=supply.pk,
        observed_at=at,
        level=reading.level,
        max_capacity=reading.max_capacity,
        percent=reading.percent,
    )


def _backoff(failures: int) -> timedelta:
    """Wait longer after each failure: 5 min, 10, 20 ... capped at FMP_POLL_BACKOFF_MAX_MINUTES."""
    minutes = min(settings.FMP_POLL_BACKOFF_MAX_MINUTES, 5 * 2 ** max(0, failures - 1))
    return timedelta(minutes=minutes)


def poll_attempts_prune(*, older_than_days: int | None = None) -> int:
    """Delete poll attempts older than the retention (the Remote diagnostics tab shows the recent ones)."""
    days = older_than_days if older_than_days is not None else settings.FMP_POLL_ATTEMPT_RETENTION_DAYS
    deleted, _ = PollAttempt.objects.filter(started_at__lt=timezone.now() - timedelta(days=days)).delete()
    return deleted


def _denormalise_levels(state: DeviceState, readings: list[SupplyReading]) -> None:
    """The grid's four toner columns: the first marking supply of each colour."""
    levels: dict[str, int | None] = {}
    for reading in sorted(readings, key=lambda r: r.index):
        if reading.colour in TONER_COLOURS and reading.type in MARKING_TYPES and reading.colour not in levels:
            levels[reading.colour] = reading.percent
    for colour in TONER_COLOURS:
        setattr(state, f"level_{colour}", levels.get(colour))
    state.colours_present = [c for c in TONER_COLOURS if c in levels]


# --- Actions of the printers menu --------------------------------------------------------
# Each action works on the devices the portal polls itself over the network, and queues a
# command for the site collector of the others (the portal never contacts those).

DeviceResult = tuple[Device, bool, str]  # the device, whether it worked, what to tell the user


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


@dataclass(frozen=True)
class StatusRefreshOutcome:
    """What "Get printer status" did: whether the central devices' poll could be queued
    (False: the task queue is unreachable, the request stays pending and the next fleet
    poll answers it), and the result for each device of a site collector."""

    central_queued: bool
    remote: dict[int, DeviceResult]


def device_status_refresh_request(*, devices: list[Device], by) -> StatusRefreshOutcome:
    """ "Get printer status": mark the devices as waiting for a fresh status and have them
    polled now: by the portal (a Celery task) or, for a device of a site collector, by its
    collector (a queued ``refresh`` command: the portal never contacts such a device).

    The grid shows the request as pending until a poll newer than it is stored (see
    ``Device.refresh_pending``), whoever polled. A device whose collector was revoked is
    refused and not marked.
    """
    central, remote = _by_collector(devices)
    refused = {d.pk for d in remote if d.collector.revoked_at is not None}
    marked = [d for d in devices if d.pk not in refused]
    now = timezone.now()
    Device.objects.filter(pk__in=[d.pk for d in marked]).update(refresh_requested_at=now)
    for device in marked:
        device.refresh_requested_at = now
    results = device_commands_queue(devices=remote, kind=DeviceCommand.Kind.REFRESH, by=by) if remote else []
    queued = _central_refresh_queue([d.pk for d in central]) if central else True
    return StatusRefreshOutcome(central_queued=queued, remote={r[0].pk: r for r in results})


def _central_refresh_queue(ids: list[int]) -> bool:
    from printers.tasks import queue_status_refresh

    queued = {"ok": True}

    def enqueue():
        queued["ok"] = queue_status_refresh(ids)

    transaction.on_commit(enqueue)
    return queued["ok"]


# --- Commands for the site collectors ----------------------------------------------------


def _by_collector(devices: list[Device]) -> tuple[list[Device], list[Device]]:
    """The devices the portal polls itself, and those a site collector polls (the portal
    must never contact these: they sit on a network it cannot, or may not, reach)."""
    central = [d for d in devices if d.collector_id is None]
    remote = [d for d in devices if d.collector_id is not None]
    return central, remote


def _on_network(device: Device) -> bool:
    return bool(device.managed_by_snmp and (device.ip_address or device.dns_name))


def device_commands_queue(
    *, devices: list[Device], kind: str, by, args: dict | Callable[[Device], dict] | None = None
) -> list[DeviceResult]:
    """Queue a command (``DeviceCommand.Kind``) for the site collector of each device: it is
    delivered at the collector's next contact and its outcome recorded when the collector
    answers (``collectors``). ``args``: the command's arguments (fmp_collector/PROTOCOL.md),
    or a function giving them for a device.

    A device whose collector was revoked gets nothing (the result says why). A ``refresh``
    already waiting for its collector is not queued twice.
    """
    results: list[DeviceResult] = []
    commands: list[DeviceCommand] = []
    waiting = set()
    if kind == DeviceCommand.Kind.REFRESH:
        waiting = set(
            DeviceCommand.objects.filter(
                device__in=[d.pk for d in devices],
                kind=kind,
                status=DeviceCommand.Status.PENDING,
            ).values_list("device_id", "collector_id")
        )
    for device in devices:
        collector = device.collector
        if collector is None:
            raise ValueError(f"device {device.pk} has no site collector")
        if collector.revoked_at is not None:
            text = _(
                "its site collector “%(name)s” has been revoked: nothing was sent. Ask the help "
                "desk to assign the device to another collector or to have it polled by the portal."
            ) % {"name": collector.name}
            results.append((device, False, str(text)))
            continue
        if (device.pk, collector.pk) not in waiting:
            commands.append(
                DeviceCommand(
                    device=device,
                    collector=collector,
                    kind=kind,
                    args=(args(device) if callable(args) else dict(args or {})),
                    created_by=by if getattr(by, "pk", None) else None,
                )
            )
        results.append((device, True, str(_command_queued_text(kind, collector))))
    if commands:
        DeviceCommand.objects.bulk_create(commands)
        DeviceEvent.objects.bulk_create(
            [
                DeviceEvent(
                    device=c.device,
                    key="printers.device.command_queued",
                    user=c.created_by,
                    data={"kind": c.kind, "command": c.pk, "collector": c.collector.name},
                )
                for c in commands
            ]
        )
    return results


def _command_queued_text(kind: str, collector) -> str:
    from django.utils.formats import date_format

    names = {"name": collector.name}
    if collector.last_seen_at is None:
        return (
            _(
                "queued for the site collector “%(name)s”, which has not connected yet: it runs at "
                "the collector's first contact."
            )
            % names
        )
    if collector.unresponsive_since is not None:
        since = date_format(timezone.localtime(collector.unresponsive_since), "SHORT_DATETIME_FORMAT")
        return _(
            "queued for the site collector “%(name)s”, which has not been in contact since "
            "%(since)s: it runs when the collector is back."
        ) % {**names, "since": since}
    if kind == DeviceCommand.Kind.REFRESH:
        return (
            _(
                "status requested from the site collector “%(name)s”: it polls the device at its next "
                "contact (within seconds); the grid shows the request as pending until then."
            )
            % names
        )
    return (
        _("queued for the site collector “%(name)s”: it runs at its next contact (within seconds).") % names
    )


def _run_each(devices: list[Device], command) -> dict[int, object]:
    """Run ``command(client, device)`` for every device at once, on one SNMP client and loop
    (a command to 50 unreachable printers waits one timeout, not 50). Each device gets the
    command's answer, or the SnmpError it raised; any other error is raised."""
    import asyncio

    from fmp_snmp.aio import run_sync
    from fmp_snmp.client import SnmpClient
    from fmp_snmp.types import SnmpError

    if not devices:
        return {}

    async def main():
        async with SnmpClient() as client:
            return await asyncio.gather(*(command(client, d) for d in devices), return_exceptions=True)

    answers = run_sync(main)
    for answer in answers:
        if isinstance(answer, BaseException) and not isinstance(answer, SnmpError):
            raise answer
    return {d.pk: answer for d, answer in zip(devices, answers, strict=True)}


def _reachable_target(device: Device):
    from printers.polling import device_target

    if not device.managed_by_snmp or not (device.ip_address or device.dns_name):
        return None
    return device_target(device)


def devices_location_update(*, devices: list[Device], location: str, by) -> list[DeviceResult]:
    """Store the devices' new location and write it to each device on the network
    (sysLocation): directly, or through the device's site collector."""
    from fmp_snmp import actions

    targets = {}
    remote = [d for d in devices if d.collector_id is not None and _on_network(d)]
    for device in devices:
        old = device.device_location
        device.device_location = location
        device.save(update_fields=["device_location"])
        device_event_record(
            device=device, key="printers.device.location_changed", user=by, old=old, new=location
        )
        targets[device.pk] = None if device.collector_id is not None else _reachable_target(device)
    answers = _run_each(
        [d for d in devices if targets[d.pk]],
        lambda client, d: actions.set_location(client, targets[d.pk], location),
    )
    queued = {
        r[0].pk: r
        for r in device_commands_queue(
            devices=remote, kind=DeviceCommand.Kind.LOCATION, args={"location": location}, by=by
        )
    }
    results = []
    for device in devices:
        answer = answers.get(device.pk)
        if device.pk in queued:
            _device, ok, text = queued[device.pk]
            if not ok:
                text = _("location stored in the portal only; %(reason)s") % {"reason": text}
            results.append((device, ok, str(text)))
        elif targets[device.pk] is None:
            text = _("location updated (the device is not on the network: stored in the portal only).")
            results.append((device, True, str(text)))
        elif isinstance(answer, Exception):
            text = _("location stored in the portal, but the device refused it: %(error)s") % {
                "error": snmp_error_text(answer)
            }
            results.append((device, False, str(text)))
        else:
            device.printer_location = answer[:255]
            device.save(update_fields=["printer_location"])
            results.append((device, True, str(_("location updated on the device."))))
    return results


def devices_reset(*, devices: list[Device], by) -> list[DeviceResult]:
    """Reset the printers remotely (prtGeneralReset), directly or through their site collector."""
    from fmp_snmp import actions

    remote = [d for d in devices if d.collector_id is not None and _on_network(d)]
    queued = {r[0].pk: r for r in device_commands_queue(devices=remote, kind=DeviceCommand.Kind.RESET, by=by)}
    targets = {d.pk: None if d.collector_id is not None else _reachable_target(d) for d in devices}
    answers = _run_each(
        [d for d in devices if targets[d.pk]], lambda client, d: actions.reset(client, targets[d.pk])
    )
    results = []
    for device in devices:
        answer = answers.get(device.pk)
        if device.pk in queued:
            results.append(queued[device.pk])
        elif targets[device.pk] is None:
            results.append(
                (device, False, str(_("the device is not on the network: it cannot be reset remotely.")))
            )
        elif isinstance(answer, Exception):
            device_event_record(
                device=device, key="printers.device.reset_failed", user=by, error=str(answer)[:200]
            )
            results.append(
                (
                    device,
                    False,
                    str(_("the device refused the reset: %(error)s") % {"error": snmp_error_text(answer)}),
                )
            )
        else:
            device_event_record(device=device, key="printers.device.reset", user=by)
            results.append((device, True, str(_("reset sent; the device restarts."))))
    return results


def snmp_error_text(error: Exception) -> str:
    """Why a device did not carry out an SNMP command, in the user's language (the engine's
    own message, in English, goes to the log only)."""
    from fmp_snmp.types import SnmpResponseError, SnmpTimeout

    logger.info("SNMP command failed: %s", error)
    if isinstance(error, SnmpResponseError):
        return _("the device answered %(status)s") % {
            "status": SnmpResponseError.NAMES.get(error.status, error.status)
        }
    if isinstance(error, SnmpTimeout):
        return str(_("the device did not answer"))
    if "cannot resolve" in str(error):
        return str(_("the device's host name is unknown"))
    return str(_("the device could not be reached"))


def raw_print_error_text(error: Exception) -> str:
    """What went wrong sending a job to a printer's raw port, in the user's language (the
    system's own message, English whatever the user reads, goes to the log only)."""
    from fmp_snmp.types import RawPrintError

    if not isinstance(error, RawPrintError):
        return str(error)
    logger.info("Raw print to port %s failed (%s): %s", error.port, error.stage, error.detail)
    return raw_print_words(error.stage, error.port, error.reason)


def raw_print_words(stage: str, port, reason: str) -> str:
    """A raw-print failure worded in the active language (stage connect/send, reason code)."""
    why = {
        "refused": _("the connection was refused"),
        "timeout": _("the printer did not answer in time"),
        "unreachable": _("the printer cannot be reached on the network"),
        "unknown_host": _("the printer's host name is unknown"),
        "reset": _("the printer closed the connection"),
    }.get(reason)
    if stage == "connect":
        if why is None:
            return _("the printer does not accept print jobs on port %(port)s") % {"port": port}
        return _("the printer does not accept print jobs on port %(port)s (%(error)s)") % {
            "port": port,
            "error": why,
        }
    if why is None:
        return str(_("the print job could not be sent"))
    return _("the print job could not be sent (%(error)s)") % {"error": why}


def devices_test_page_print(*, devices: list[Device], by) -> list[DeviceResult]:
    """Send a test page to each printer's raw port (9100): directly, or through the device's
    site collector (the job goes with the command)."""
    import base64

    from fmp_snmp import actions

    when = timezone.localtime().strftime("%Y-%m-%d %H:%M")

    def page(device) -> bytes:
        return actions.test_page(
            serial=device.serial_number,
            model=device.model.name if device.model_id else "",
            location=device.device_location or device.printer_location,
            when=when,
        )

    remote = [d for d in devices if d.collector_id is not None and _on_network(d)]
    queued = {
        r[0].pk: r
        for r in device_commands_queue(
            devices=remote,
            kind=DeviceCommand.Kind.TEST_PAGE,
            args=lambda d: {
                "payload": base64.b64encode(page(d)).decode("ascii"),
                "port": settings.FMP_RAW_PRINT_PORT,
            },
            by=by,
        )
    }
    hosts = {
        d.pk: "" if d.collector_id is not None else str(d.ip_address or d.dns_name or "") for d in devices
    }

    def send(_client, device):
        return actions.send_raw(hosts[device.pk], page(device), port=settings.FMP_RAW_PRINT_PORT)

    answers = _run_each([d for d in devices if hosts[d.pk]], send)
    results = []
    for device in devices:
        answer = answers.get(device.pk)
        if device.pk in queued:
            results.append(queued[device.pk])
        elif not hosts[device.pk]:
            results.append(
                (device, False, str(_("the device has no network address: no test page can be sent.")))
            )
        elif isinstance(answer, Exception):
            text = _("the test page could not be sent: %(error)s") % {"error": raw_print_error_text(answer)}
            results.append((device, False, str(text)))
        else:
            device_event_record(device=device, key="printers.device.test_page", user=by)
            results.append((device, True, str(_("test page sent."))))
    return results


def devices_collector_assign(*, devices: list[Device], collector, by) -> tuple[list[Device], list[Device]]:
    """Have the devices polled by ``collector`` (a site collector), or by the portal when it
    is None. Returns (assigned, refused): a collector polls only its own account's devices.

    Commands still waiting for a device's previous collector expire (that collector no
    longer polls it); each change leaves an audit row.
    """
    from printers.models import collector_refusal

    assigned, refused = [], []
    for device in devices:
        if collector is not None and collector_refusal(collector, device.account_id):
            refused.append(device)
        elif device.collector_id != (collector.pk if collector else None):
            assigned.append(device)
    if not assigned:
        return assigned, refused
    now = timezone.now()
    events = []
    with transaction.atomic():
        for device in assigned:
            old = device.collector.name if device.collector_id else ""
            events.append(
                DeviceEvent(
                    device=device,
                    key="printers.device.collector_changed",
                    user=by if getattr(by, "pk", None) else None,
                    data={"old": old, "new": collector.name if collector else ""},
                )
            )
        ids = [d.pk for d in assigned]
        Device.objects.filter(pk__in=ids).update(collector=collector)
        waiting = DeviceCommand.objects.filter(
            device_id__in=ids, status__in=[DeviceCommand.Status.PENDING, DeviceCommand.Status.DELIVERED]
        )
        if collector is not None:
            waiting = waiting.exclude(collector=collector)
        waiting.update(status=DeviceCommand.Status.EXPIRED, completed_at=now)
        DeviceEvent.objects.bulk_create(events)
    for device in assigned:
        device.collector = collector
    return assigned, refused


class DeviceCreateError(ValueError):
    """Why a device cannot be added (``device_create``); the text is for the operator."""


@transaction.atomic
def device_create(
    *,
    account,
    host: str,
    site=None,
    port: int = 161,
    community: str = "public",
    snmp_version: str = "2c",
    collector=None,
    by=None,
) -> Device:
    """Add a device monitored over SNMP at ``host`` (an IP address or a DNS name): polled by
    ``collector`` (a site collector of the account), or by the portal when None.

    Refused (DeviceCreateError) when the site or the collector is another account's, the
    collector is revoked, or the account already has a device answering at that address,
    port and community (a simulated fleet answers many printers at one address, one per
    community).
    """
    import ipaddress

    from printers.choices import SnmpVersion

    host = host.strip()
    try:
        ip = str(ipaddress.ip_address(host))
        dns = ""
    except ValueError:
        ip, dns = None, host.lower().rstrip(".")
        if not _is_dns_name(dns):
            raise DeviceCreateError(f"{host!r} is neither an IP address nor a DNS name.") from None
    if not 0 < port < 65536:
        raise DeviceCreateError(f"Port {port} is not between 1 and 65535.")
    if snmp_version not in (SnmpVersion.V1, SnmpVersion.V2C):
        raise DeviceCreateError(f"SNMP version {snmp_version!r}: use 1 or 2c.")
    if len(community) > 100:
        raise DeviceCreateError("The community is longer than 100 characters.")
    if site is not None and site.account_id != account.pk:
        raise DeviceCreateError(f"The site {site.name!r} belongs to another account.")
    if collector is not None and collector.account_id != account.pk:
        raise DeviceCreateError(
            f"The site collector {collector.name!r} belongs to another account ({collector.account.name})."
        )
    if collector is not None and collector.revoked_at is not None:
        raise DeviceCreateError(f"The site collector {collector.name!r} has been revoked.")
    type(account).objects.select_for_update().filter(pk=account.pk).first()  # one adder at a time
    same = Device.objects.filter(account=account, snmp_port=port, snmp_community=community)
    same = same.filter(ip_address=ip) if ip else same.filter(dns_name__iexact=dns)
    existing = same.first()
    if existing is not None:
        raise DeviceCreateError(
            f"The account already has a device at {host}:{port} (community {community!r}): "
            f"device {existing.pk} ({existing})."
        )
    device = Device.objects.create(
        account=account,
        site=site,
        ip_address=ip,
        dns_name=dns,
        snmp_port=port,
        snmp_community=community,
        snmp_version=snmp_version,
        collector=collector,
        managed_by_snmp=True,
    )
    device_event_record(
        device=device,
        key="printers.device.added",
        user=by,
        address=host,
        collector=collector.name if collector else "",
    )
    return device


def _is_dns_name(name: str) -> bool:
    import re

    label = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
    parts = name.split(".")
    return 0 < len(name) <= 253 and not parts[-1].isdigit() and all(label.match(p) for p in parts)
