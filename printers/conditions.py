"""Error conditions of devices: raised when a device enters a state, cleared when it leaves.

A condition clears only on answers that report the error state, and only once
``FMP_CONDITION_CLEAR_AFTER`` such answers in a row lack it: a door opened, closed and opened
again within that keeps one condition (one ticket, one e-mail), as "unreachable" needs
``FMP_UNREACHABLE_AFTER`` failed polls. A device that answers again clears "unreachable" at once.

Each raise and clear is handed to the handlers in ``CONDITION_HANDLERS`` (the tickets app
turns them into automatic tickets). One open condition per device and code is enforced by
the database, so two workers raising the same condition at once still make one.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from django.conf import settings

from fmp.db import bulk_update_fast
from printers.choices import ERROR_CONDITIONS, UNREACHABLE
from printers.models import DeviceCondition, DeviceState

# Called after the conditions are stored: handler(raised: list[DeviceCondition], cleared: list[DeviceCondition])
CONDITION_HANDLERS: list[Callable[[list[DeviceCondition], list[DeviceCondition]], None]] = []


def _wanted(state: DeviceState) -> dict[str, str]:
    """Condition code → severity that the device's latest state calls for."""
    if not state.reachable:
        return {UNREACHABLE: "error"}
    return {code: ("error" if code in ERROR_CONDITIONS else "warning") for code in state.conditions or []}


def device_conditions_sync(
    *, states: list[DeviceState], at: datetime | dict[int, datetime]
) -> tuple[list, list]:
    """Raise and clear the conditions of these devices after a poll. Returns (raised, cleared).

    ``at`` is when the poll happened: one time for all (the central poller), or a time per
    device id (a collector's upload, each device polled at its own moment)."""
    ids = [s.device_id for s in states]
    times = at if isinstance(at, dict) else dict.fromkeys(ids, at)
    open_conditions: dict[int, dict[str, DeviceCondition]] = {}
    for condition in DeviceCondition.objects.filter(device_id__in=ids, cleared_at__isnull=True):
        open_conditions.setdefault(condition.device_id, {})[condition.code] = condition
    to_raise, to_clear, to_update = [], [], []
    for state in states:
        current = open_conditions.get(state.device_id, {})
        if state.reachable is True and state.status_at is None:
            continue  # never answered yet: nothing to say
        # False for a repeated, partial or foreign answer (set by the history writer).
        covered = state.reachable and getattr(state, "conditions_answered", True)
        wanted = _wanted(state)
        if not state.reachable:
            # While a device is silent its last warnings are unknown, not cleared.
            wanted = {**{code: c.severity for code, c in current.items()}, **wanted}
        elif not covered:
            # It answered, without its error state (asleep, half-booted): they stay as they were.
            wanted = {code: c.severity for code, c in current.items() if code != UNREACHABLE}
        for code, severity in wanted.items():
            if code not in current:
                to_raise.append(
                    DeviceCondition(
                        device_id=state.device_id,
                        code=code,
                        severity=severity,
                        raised_at=times[state.device_id],
                    )
                )
            elif covered and current[code].absent_polls:
                current[code].absent_polls = 0  # back before it cleared: the same condition goes on
                to_update.append(current[code])
        for code, condition in current.items():
            if code in wanted:
                continue
            condition.absent_polls += 1
            if code == UNREACHABLE or condition.absent_polls >= settings.FMP_CONDITION_CLEAR_AFTER:
                condition.cleared_at = times[state.device_id]
                to_clear.append(condition)
            else:
                to_update.append(condition)
    if to_clear or to_update:
        bulk_update_fast(to_clear + to_update, ["cleared_at", "absent_polls"])
    return _raise_and_hand_over(to_raise, to_clear)


def _raise(to_raise: list[DeviceCondition]) -> list[DeviceCondition]:
    """Store the new conditions, one open per device and code (a concurrent worker's or an
    already open one counts once); returns those this call raised."""
    DeviceCondition.objects.bulk_create(to_raise, ignore_conflicts=True)
    if not to_raise:
        return []
    keys = {(r.device_id, r.code, r.raised_at) for r in to_raise}
    candidates = DeviceCondition.objects.filter(
        device_id__in={c.device_id for c in to_raise}, cleared_at__isnull=True
    )
    return [c for c in candidates if (c.device_id, c.code, c.raised_at) in keys]


def _raise_and_hand_over(
    to_raise: list[DeviceCondition], cleared: list[DeviceCondition]
) -> tuple[list, list]:
    """Store the new conditions and hand what was raised and cleared to the handlers."""
    raised = _raise(to_raise)
    for handler in CONDITION_HANDLERS:
        handler(raised, cleared)
    return raised, cleared


def device_conditions_raise(
    *, codes: dict[int, set[str]], at: datetime, hand_over_later: bool = False
) -> list[DeviceCondition]:
    """Raise these conditions now (device id → codes), as a trap reports them, without
    waiting for a poll: the same rows and handlers as a poll's. An open one stays as it is.
    The poll the trap asks for confirms them, or clears them after its usual debounce.

    ``hand_over_later``: the handlers (tickets, e-mails) run in a Celery task once the rows
    are committed, so that a burst of traps is stored at the receiver's pace."""
    if not codes:
        return []
    open_now = set(
        DeviceCondition.objects.filter(device_id__in=codes, cleared_at__isnull=True).values_list(
            "device_id", "code"
        )
    )
    to_raise = [
        DeviceCondition(
            device_id=device_id,
            code=code,
            severity="error" if code in ERROR_CONDITIONS else "warning",
            raised_at=at,
        )
        for device_id, wanted in codes.items()
        for code in sorted(wanted)
        if (device_id, code) not in open_now
    ]
    if not hand_over_later:
        raised, _ = _raise_and_hand_over(to_raise, [])
        return raised
    raised = _raise(to_raise)
    if raised:
        from django.db import transaction

        from printers.tasks import queue_conditions_hand_over

        ids = [c.pk for c in raised]
        transaction.on_commit(lambda: queue_conditions_hand_over(ids))
    return raised


def conditions_hand_over(condition_ids: list[int]) -> None:
    """Hand conditions raised earlier to the handlers (those still open)."""
    raised = list(DeviceCondition.objects.filter(pk__in=condition_ids, cleared_at__isnull=True))
    if raised:
        for handler in CONDITION_HANDLERS:
            handler(raised, [])
