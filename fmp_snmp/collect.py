"""Ask one printer for everything FMP needs, in as few requests as the agent allows.

SNMPv2c/v3: one GETBULK with the scalars as non-repeaters and the table columns as
repeaters; only columns that have not ended are asked again. An agent that answers
``tooBig`` gets smaller requests; one that mishandles GETBULK gets GET + walks.
SNMPv1: GET for the scalars, GETNEXT walks for the columns.
A timeout anywhere fails the whole collection: half a table is never passed on as data.
"""

from __future__ import annotations

from fmp_snmp import oids
from fmp_snmp.client import SnmpClient
from fmp_snmp.types import Oid, SnmpError, SnmpResponseError, SnmpTarget, Special, Value

MAX_ROWS_PER_COLUMN = 512
MAX_ROUNDS = 64
TOO_BIG = 1


async def collect(
    client: SnmpClient,
    target: SnmpTarget,
    *,
    scalars: tuple[Oid, ...] = oids.SCALARS,
    columns: tuple[Oid, ...] = oids.COLUMNS,
    max_repetitions: int = 8,
) -> dict[Oid, Value]:
    """OID → value for every scalar and column row the agent has."""
    if target.version == "1":
        return await _collect_v1(client, target, scalars, columns)
    try:
        return await _collect_bulk(client, target, scalars, columns, max_repetitions)
    except SnmpResponseError as exc:
        if exc.status == TOO_BIG:
            raise
        # Some agents reject GETBULK with non-repeaters or with many columns: ask plainly.
        return await _collect_plain(client, target, scalars, columns)


async def _collect_bulk(client, target, scalars, columns, max_repetitions) -> dict[Oid, Value]:
    values: dict[Oid, Value] = {}
    pending_scalars = list(scalars)
    pending = {col: col for col in columns}
    counts = dict.fromkeys(columns, 0)
    rounds = 0
    while (pending_scalars or pending) and rounds < MAX_ROUNDS:
        rounds += 1
        cols = list(pending.items())
        try:
            answer = await client.get_bulk(
                target, pending_scalars, [start for _, start in cols], max_repetitions
            )
        except SnmpResponseError as exc:
            if exc.status == TOO_BIG and (max_repetitions > 1 or len(cols) > 1):
                if max_repetitions > 1:
                    max_repetitions = max(1, max_repetitions // 2)
                    continue
                # One row of everything is still too big: take the columns one at a time.
                for col, start in cols:
                    await _walk_into(client, target, col, start, values)
                pending = {}
                continue
            raise
        n = len(pending_scalars)
        for requested, vb in zip(pending_scalars, answer[:n], strict=False):
            accept = oids.SCALAR_ACCEPTS.get(requested, requested)
            if vb.oid[: len(accept)] == accept and not isinstance(vb.value, Special):
                values[vb.oid] = vb.value
        pending_scalars = pending_scalars[len(answer[:n]) :]
        rows = answer[n:]
        if not cols:
            continue
        width = len(cols)
        ended: set[Oid] = set()
        last: dict[Oid, Oid] = {}
        for j, vb in enumerate(rows):
            col, start = cols[j % width]
            if col in ended:
                continue
            if (
                vb.value is Special.END_OF_MIB_VIEW
                or vb.oid[: len(col)] != col
                or vb.oid <= last.get(col, start)
            ):
                ended.add(col)
                continue
            values[vb.oid] = vb.value
            last[col] = vb.oid
            counts[col] += 1
        still = {}
        for position, (col, start) in enumerate(cols):
            if col in ended or counts[col] >= MAX_ROWS_PER_COLUMN:
                continue
            if col in last:
                still[col] = last[col]
            elif position >= len(rows):  # the answer was cut before this column
                still[col] = start
        if not rows and not answer[:n] and pending_scalars:
            break  # an empty answer: nothing more to learn
        pending = still
    return values


async def _walk_into(client, target, col, start, values) -> None:
    for vb in await client.walk(target, col, max_rows=MAX_ROWS_PER_COLUMN):
        if vb.oid > start or start == col:
            values[vb.oid] = vb.value


async def _get_scalars(client: SnmpClient, target: SnmpTarget, scalars) -> dict[Oid, Value]:
    """GETNEXT on each object, as GETBULK's non-repeaters do: a scalar's .0 instance, a
    column's first row (the serial, the status, the life count are columns). An object an
    SNMPv1 agent has nothing after (noSuchName) is dropped and the others asked again."""
    wanted = list(scalars)
    values: dict[Oid, Value] = {}
    while wanted:
        try:
            answer = await client.get_next(target, wanted)
        except SnmpResponseError as exc:
            if exc.status == 2 and 1 <= exc.index <= len(wanted):  # noSuchName
                wanted.pop(exc.index - 1)
                continue
            raise
        for requested, vb in zip(wanted, answer, strict=False):
            accept = oids.SCALAR_ACCEPTS.get(requested, requested)
            if vb.oid[: len(accept)] == accept and not isinstance(vb.value, Special):
                values[vb.oid] = vb.value
        break
    return values


async def _collect_plain(client, target, scalars, columns) -> dict[Oid, Value]:
    values = await _get_scalars(client, target, scalars)
    for col in columns:
        await _walk_into(client, target, col, col, values)
    return values


async def _collect_v1(client, target, scalars, columns) -> dict[Oid, Value]:
    return await _collect_plain(client, target, scalars, columns)


__all__ = ["SnmpError", "collect"]
