"""What the portal does with a trap: find its device, record it, raise what it reports now,
and have the device polled to confirm. Traps from addresses of no device are counted.

Traps come from ``manage.py trap_receiver`` (fmp_snmp.traps decodes them), stored in batches
so that a burst costs a few queries per hundreds of traps, not per trap.
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import connection, transaction

from fmp.db import bulk_insert_fast
from fmp_snmp.observation import serial_key
from fmp_snmp.traps import Trap
from printers.models import Device, DeviceEvent, TrapSender

logger = logging.getLogger(__name__)

# Printer-MIB alert codes (fmp_snmp.alerts.CODES) that report a condition of the error state.
TRAP_CONDITIONS = {
    3: "doorOpen",  # cover open
    5: "doorOpen",  # interlock open
    501: "doorOpen",
    8: "jammed",
    22: "offline",  # subunit offline
    801: "inputTrayMissing",
    807: "lowPaper",
    808: "noPaper",
    901: "outputTrayMissing",
    902: "outputNearFull",
    903: "outputFull",
    1101: "noToner",
    1102: "noToner",
    1104: "lowToner",
    1105: "lowToner",
    1115: "markerSupplyMissing",
}


@dataclass
class TrapsStored:
    matched: int = 0
    unknown: int = 0
    raised: int = 0
    polls: int = 0


def trap_device(candidates: list[Device], trap: Trap) -> Device | None:
    """The device a trap is from: the one device polled centrally at its source address;
    where several share the address (a NAT, a print server), the one with the trap's serial."""
    if len(candidates) == 1:
        return candidates[0]
    if trap.serial:
        same = [d for d in candidates if serial_key(d.serial_number) == serial_key(trap.serial)]
        if len(same) == 1:
            return same[0]
    return None


def trap_condition(trap: Trap) -> str | None:
    """The condition a trap reports now, if any (a printer alert of a known code)."""
    if trap.alert is None or trap.alert.code is None:
        return None
    return TRAP_CONDITIONS.get(trap.alert.code)


def _event_data(trap: Trap, source: str) -> dict:
    data = {"kind": trap.kind, "version": trap.version, "source": source, "trap_oid": trap.trap_oid_text}
    if trap.alert is not None:
        data["alert"] = {
            "severity": trap.alert.severity,
            "group": trap.alert.group,
            "group_index": trap.alert.group_index,
            "code": trap.alert.code,
            "code_name": trap.alert.code_name,
            "description": trap.alert.description,
        }
    return data


def traps_store(items: list[tuple[Trap, str, datetime]]) -> TrapsStored:
    """Store a batch of traps the portal's receiver got ``(trap, source address, received at)``:
    matched to the devices it polls itself, the others counted per sender; the matched
    devices are polled to confirm."""
    if not items:
        return TrapsStored()
    with transaction.atomic():
        candidates: dict[str, list[Device]] = defaultdict(list)
        for device in (
            Device.objects.monitored()
            .filter(collector__isnull=True, ip_address__in={source for _t, source, _at in items})
            .only("pk", "ip_address", "serial_number", "account_id")
        ):
            candidates[str(device.ip_address)].append(device)
        matched = []
        unknown: dict[str, list] = {}
        for trap, source, at in items:
            device = trap_device(candidates.get(source, []), trap)
            if device is None:
                seen = unknown.setdefault(source, [0, at, at, trap.kind, trap.serial])
                seen[0] += 1
                seen[2], seen[3], seen[4] = at, trap.kind, trap.serial or seen[4]
                continue
            matched.append((device.pk, trap, source, at))
        result = traps_record(matched)
        result.unknown = sum(seen[0] for seen in unknown.values())
        _senders_count(unknown)
    polls = _polls_due([device_id for device_id, _t, _s, _at in matched])
    if polls:
        from printers.tasks import queue_status_refresh

        queue_status_refresh(polls)
    result.polls = len(polls)
    return result


def traps_record(matched: list[tuple[int, Trap, str, datetime]]) -> TrapsStored:
    """Record traps already matched to their devices ``(device id, trap, source, at)``: one
    event each, and the conditions they report raised now (their tickets and e-mails follow
    from a task once committed). The central receiver and the site collectors' uploads
    (whose collector polls the device itself to confirm) both come here."""
    result = TrapsStored(matched=len(matched))
    if not matched:
        return result
    codes: dict[int, set[str]] = defaultdict(set)
    for device_id, trap, _source, _at in matched:
        code = trap_condition(trap)
        if code:
            codes[device_id].add(code)
    bulk_insert_fast(
        [
            DeviceEvent(
                device_id=device_id, user_id=None, key="printers.device.trap", data=_event_data(trap, source)
            )
            for device_id, trap, source, _at in matched
        ]
    )
    if codes:
        from printers.conditions import device_conditions_raise

        at = max(at for _d, _t, _s, at in matched)
        result.raised = len(device_conditions_raise(codes=dict(codes), at=at, hand_over_later=True))
    return result


# Devices a trap had polled, and when (monotonic seconds): one receiver process stores traps,
# so the throttle lives here rather than in a shared cache (a round trip per trap).
_polled: dict[int, float] = {}


def _polls_due(device_ids: list[int]) -> list[int]:
    """The devices to poll now: at most one trap-asked poll per FMP_TRAP_POLL_SECONDS each."""
    now, every = time.monotonic(), settings.FMP_TRAP_POLL_SECONDS
    if len(_polled) > 100_000:
        for pk in [pk for pk, at in _polled.items() if now - at >= every]:
            del _polled[pk]
    due = []
    for pk in dict.fromkeys(device_ids):
        if now - _polled.get(pk, -every) >= every:
            _polled[pk] = now
            due.append(pk)
    return due


def _senders_count(unknown: dict[str, list]) -> None:
    """Count the traps of unknown senders, one statement for the batch."""
    if not unknown:
        return
    table = connection.ops.quote_name(TrapSender._meta.db_table)
    rows, params = [], []
    for address, (count, first, last, kind, serial) in unknown.items():
        rows.append("(%s, %s, %s, %s, %s, %s)")
        params += [address, count, first, last, kind[:40], (serial or "")[:100]]
    sql = (
        f"INSERT INTO {table} (address, traps, first_seen_at, last_seen_at, last_kind, last_serial) "  # noqa: S608 -- the table name from model metadata, values as parameters
        f"VALUES {', '.join(rows)} ON CONFLICT (address) DO UPDATE SET traps = {table}.traps + excluded.traps, "
        "last_seen_at = excluded.last_seen_at, last_kind = excluded.last_kind, "
        f"last_serial = CASE WHEN excluded.last_serial = '' THEN {table}.last_serial ELSE excluded.last_serial END"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
