"""Database helpers that the ORM does not provide fast enough."""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime

from django.db import Error, connection, models

# Values that PostgreSQL's driver adapts exactly as Django's get_db_prep_save would have
# prepared them, by the field's internal type: these go to the driver as they are.
_PLAIN_TYPES: dict[str, tuple[type, ...]] = {
    **dict.fromkeys(
        (
            "AutoField",
            "BigAutoField",
            "IntegerField",
            "BigIntegerField",
            "SmallIntegerField",
            "PositiveIntegerField",
            "PositiveBigIntegerField",
            "PositiveSmallIntegerField",
            "ForeignKey",
            "OneToOneField",
        ),
        (int,),
    ),
    "CharField": (str,),
    "TextField": (str,),
    "BooleanField": (bool,),
    "FloatField": (float, int),
}


def _preparer(field: models.Field) -> Callable:
    """A fast ``field.get_db_prep_save(value, connection)``: values of the plain types pass
    unchanged (the per-value call was most of a poll batch's CPU), None too where the column
    allows it, an aware datetime for a DateTimeField; anything else takes Django's way."""
    prepare = field.get_db_prep_save
    internal = field.get_internal_type()
    if internal in ("ForeignKey", "OneToOneField"):
        internal = field.target_field.get_internal_type()
        if internal in ("AutoField", "BigAutoField"):
            internal = "IntegerField"
    plain = _PLAIN_TYPES.get(internal)
    nullable = field.null
    if internal == "DateTimeField":

        def prep_datetime(value):
            if (value is None and nullable) or (type(value) is datetime and value.tzinfo is not None):
                return value
            return prepare(value, connection)

        return prep_datetime
    if plain is None:
        return lambda value: prepare(value, connection)

    def prep(value):
        if type(value) in plain or (value is None and nullable):
            return value
        return prepare(value, connection)

    return prep


def bulk_update_fast(objs: Sequence[models.Model], fields: list[str], *, batch_size: int = 1000) -> int:
    """``QuerySet.bulk_update`` as one ``UPDATE ... FROM (VALUES ...)`` per batch on PostgreSQL.

    Django's bulk_update builds a CASE WHEN per field and row: for 500 poll results of
    20 fields that took seconds of CPU; this takes milliseconds. Other databases use the
    ORM's version.
    """
    if not objs:
        return 0
    model = type(objs[0])
    if connection.vendor != "postgresql":
        return model._base_manager.bulk_update(objs, fields, batch_size=batch_size)
    meta = model._meta
    pk = meta.pk
    columns = [meta.get_field(name) for name in fields]
    table = connection.ops.quote_name(meta.db_table)
    pk_column = connection.ops.quote_name(pk.column)
    casts = [pk.db_type(connection)] + [f.db_type(connection) for f in columns]
    placeholder = "(" + ", ".join(f"%s::{cast}" for cast in casts) + ")"
    names = ", ".join(["_pk"] + [f"_c{i}" for i in range(len(columns))])
    assignments = ", ".join(f"{connection.ops.quote_name(f.column)} = v._c{i}" for i, f in enumerate(columns))
    preparers = [(f.attname, _preparer(f)) for f in columns]
    total = 0
    with connection.cursor() as cursor:
        for start in range(0, len(objs), batch_size):
            batch = objs[start : start + batch_size]
            params: list = []
            for obj in batch:
                params.append(pk.get_db_prep_value(obj.pk, connection))
                for attname, prep in preparers:
                    params.append(prep(getattr(obj, attname)))
            sql = (
                f"UPDATE {table} SET {assignments} FROM (VALUES "  # noqa: S608 -- names from model metadata, values as parameters
                + ", ".join([placeholder] * len(batch))
                + f") AS v({names}) WHERE {table}.{pk_column} = v._pk"
            )
            cursor.execute(sql, params)
            total += cursor.rowcount
    return total


def bulk_insert_fast(
    objs: Sequence[models.Model], *, ignore_conflicts: bool = False, batch_size: int = 2000
) -> None:
    """``QuerySet.bulk_create`` of new rows of one model without Django's per-value
    compilation, on PostgreSQL: one ``INSERT ... VALUES`` per batch, the primary keys set on
    the objects (``RETURNING``) unless conflicts are ignored. Only for plain rows: no
    multi-table inheritance, no save() of their own (bulk_create calls none either);
    ``auto_now``/``auto_now_add`` fields are filled as bulk_create fills them. Other
    databases use the ORM's version."""
    if not objs:
        return
    model = type(objs[0])
    if connection.vendor != "postgresql":
        model._base_manager.bulk_create(objs, ignore_conflicts=ignore_conflicts, batch_size=batch_size)
        return
    meta = model._meta
    pk = meta.pk
    auto_pk = isinstance(pk, models.AutoField)
    fields = [f for f in meta.concrete_fields if not (f.primary_key and auto_pk)]
    stamped = [f for f in fields if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)]
    preparers = [(f.attname, _preparer(f)) for f in fields]
    quote = connection.ops.quote_name
    table = quote(meta.db_table)
    columns = ", ".join(quote(f.column) for f in fields)
    row = "(" + ", ".join(["%s"] * len(fields)) + ")"
    tail = " ON CONFLICT DO NOTHING" if ignore_conflicts else f" RETURNING {quote(pk.column)}"
    with connection.cursor() as cursor:
        for start in range(0, len(objs), batch_size):
            batch = objs[start : start + batch_size]
            params: list = []
            for obj in batch:
                for field in stamped:
                    field.pre_save(obj, True)
                for attname, prep in preparers:
                    params.append(prep(getattr(obj, attname)))
            sql = f"INSERT INTO {table} ({columns}) VALUES " + ", ".join([row] * len(batch)) + tail  # noqa: S608 -- names from model metadata, values as parameters
            cursor.execute(sql, params)
            if not ignore_conflicts and auto_pk:
                for obj, (value,) in zip(batch, cursor.fetchall(), strict=True):
                    setattr(obj, pk.attname, value)
            for obj in batch:
                obj._state.adding = False
                obj._state.db = connection.alias


@contextlib.contextmanager
def advisory_lock(name: str) -> Iterator[bool]:
    """Hold a PostgreSQL session advisory lock named ``name`` while the block runs.

    Yields False at once when another session holds it. The lock belongs to the database
    connection, so it goes away with a process that dies (worker killed): a lock that can
    be taken means nobody is still working under that name. Other databases (the embedded
    SQLite demo, one process) always yield True.
    """
    if connection.vendor != "postgresql":
        yield True
        return
    key = advisory_lock_key(name)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [key])
        (held,) = cursor.fetchone()
    try:
        yield held
    finally:
        if held:
            with contextlib.suppress(Error), connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [key])


def advisory_lock_key(name: str) -> int:
    """The 64-bit key PostgreSQL's advisory locks take, for a lock named ``name``."""
    return int.from_bytes(hashlib.blake2b(name.encode(), digest_size=8).digest(), "big", signed=True)
