"""Row ids typed in URLs and forms: digits only, within the database's integer range.

``str.isdigit`` alone lets through "²" (int() refuses it) and ids beyond 64 bits (SQLite
raises OverflowError on them, PostgreSQL a data error in ``IN (...)`` lists): every id read
from a request goes through here, so that such a value simply matches nothing."""

from __future__ import annotations

from collections.abc import Iterable

MAX_ID = 2**63 - 1  # bigint / SQLite INTEGER


def parse_id(value) -> int | None:
    """The id ``value`` spells (ASCII digits, 1 to MAX_ID), else None."""
    text = str(value).strip() if value is not None else ""
    if not text or len(text) > 19 or not (text.isascii() and text.isdigit()):
        return None
    number = int(text)
    return number if 0 < number <= MAX_ID else None


def parse_ids(values: Iterable, limit: int | None = None) -> list[int]:
    """The valid ids among ``values``, in order, without repeats (the first ``limit``)."""
    ids = list(dict.fromkeys(i for i in (parse_id(v) for v in values) if i is not None))
    return ids[:limit] if limit is not None else ids
