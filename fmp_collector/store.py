"""The collector's local store: the store-and-forward queue, the last configuration, counters.

One SQLite file (DIR/queue.sqlite3, WAL) and no server. Results wait here until the portal
has acknowledged them:

- ``results`` holds what was polled, oldest first. The queue is bounded: when it is full the
  oldest results are dropped and the drop is counted (``dropped``, reported in the heartbeat,
  ``status`` and the log), never silent.
- An upload first gives the oldest rows a batch id and COMMITS that, then sends. A collector
  killed mid-upload sends the same rows under the same batch id again, and the portal, which
  has already seen that id, stores nothing twice.
- A batch the portal refuses (4xx) moves to ``refused`` with the portal's reason: kept for
  inspection, counted, not retried. That table is bounded: the newest ``REFUSED_KEEP`` rows
  of the last ``REFUSED_DAYS`` days are kept; the count of all refused results (``refused``)
  is kept in the counters.
"""

from __future__ import annotations

import json
import sqlite3
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from fmp_collector import protocol

DB_NAME = "queue.sqlite3"
ENVELOPE = 200  # bytes of the batch's JSON around its items
REFUSED_KEEP = 10_000  # refused results kept for inspection (the newest)
REFUSED_DAYS = 30  # ... and none older than this

SCHEMA = """
CREATE TABLE IF NOT EXISTS results (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,            -- "observation" or "discovered"
    item TEXT NOT NULL,            -- the item as sent (JSON)
    size INTEGER NOT NULL,
    at REAL NOT NULL,
    batch TEXT
);
CREATE INDEX IF NOT EXISTS results_batch ON results(batch, id);
CREATE TABLE IF NOT EXISTS refused (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    item TEXT NOT NULL,
    at REAL NOT NULL,
    batch TEXT NOT NULL,
    status INTEGER NOT NULL,
    reason TEXT NOT NULL,
    refused_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS schedule (
    key TEXT PRIMARY KEY,          -- "device:17", "range:3"
    last REAL NOT NULL,
    ok INTEGER NOT NULL DEFAULT 1
);
"""


@dataclass
class Batch:
    batch: str
    ids: list[int]
    observations: list[dict]
    discovered: list[dict]
    traps: list[dict] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.ids)

    def body(self) -> bytes:
        data = {"batch": self.batch, "observations": self.observations, "discovered": self.discovered}
        if self.traps:  # only when there are some (a portal of an earlier version knows no traps)
            data["traps"] = self.traps
        return json.dumps(data, separators=(",", ":")).encode("utf-8")


class Store:
    def __init__(self, state: Path, *, queue_max: int = 100_000) -> None:
        self.path = Path(state) / DB_NAME
        self.queue_max = queue_max
        self.db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.executescript(SCHEMA)
        self._depth = self.db.execute("SELECT COUNT(*) FROM results").fetchone()[0]
        if self.get("refused") is None:  # a store from before the counter: count what it kept
            self.put("refused", self.db.execute("SELECT COUNT(*) FROM refused").fetchone()[0])

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # --- meta: counters, configuration, health ------------------------------------------------

    def get(self, key: str, default=None):
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return json.loads(row[0]) if row else default

    def put(self, key: str, value) -> None:
        self.db.execute(
            "INSERT INTO meta(key, value) VALUES(?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (key, json.dumps(value)),
        )

    def _add(self, key: str, n: int) -> None:
        self.db.execute(
            "INSERT INTO meta(key, value) VALUES(?, ?) "
            "ON CONFLICT(key) DO UPDATE SET value = CAST(value AS INTEGER) + ?",
            (key, str(n), n),
        )

    @property
    def dropped(self) -> int:
        return int(self.get("dropped", 0))

    @property
    def refused_count(self) -> int:
        """All results the portal ever refused (also those no longer kept in ``refused``)."""
        return int(self.get("refused", 0))

    def refused_kept(self) -> int:
        return self.db.execute("SELECT COUNT(*) FROM refused").fetchone()[0]

    # --- the queue ------------------------------------------------------------------------------

    def depth(self) -> int:
        """Results waiting (counted once at opening, then kept: one process writes the queue)."""
        return self._depth

    def add(self, kind: str, item: dict) -> int:
        """Queue one result; returns how many old results had to be dropped to make room."""
        text = json.dumps(item, separators=(",", ":"))
        at = float(item.get("at") or time.time())
        with self.db:
            self.db.execute("BEGIN IMMEDIATE")
            self.db.execute(
                "INSERT INTO results(kind, item, size, at) VALUES(?, ?, ?, ?)",
                (kind, text, len(text.encode("utf-8")), at),
            )
            self._depth += 1
            excess = self._depth - self.queue_max
            if excess > 0:
                self.db.execute(
                    "DELETE FROM results WHERE id IN (SELECT id FROM results ORDER BY id LIMIT ?)", (excess,)
                )
                self._add("dropped", excess)
                self._depth -= excess
        return max(0, excess)

    def next_batch(
        self, *, max_items: int = protocol.MAX_BATCH, max_bytes: int = protocol.MAX_BODY
    ) -> Batch | None:
        """The batch to send now: the one already given an id (a send that did not finish),
        else the oldest rows, given a new id that is committed before anything is sent."""
        row = self.db.execute(
            "SELECT batch FROM results WHERE batch IS NOT NULL ORDER BY id LIMIT 1"
        ).fetchone()
        with self.db:
            self.db.execute("BEGIN IMMEDIATE")
            if row is not None:
                batch = row[0]
                rows = self.db.execute(
                    "SELECT id, kind, item FROM results WHERE batch = ? ORDER BY id", (batch,)
                ).fetchall()
            else:
                batch = str(uuid.uuid4())
                rows, total = [], ENVELOPE
                for rid, kind, item, size in self.db.execute(
                    "SELECT id, kind, item, size FROM results WHERE batch IS NULL ORDER BY id LIMIT ?",
                    (max_items,),
                ):
                    if rows and total + size + 1 > max_bytes:
                        break
                    rows.append((rid, kind, item))
                    total += size + 1
                if not rows:
                    return None
                self.db.executemany(
                    "UPDATE results SET batch = ? WHERE id = ?", [(batch, r[0]) for r in rows]
                )
        if not rows:
            return None
        observations = [json.loads(item) for _, kind, item in rows if kind == "observation"]
        discovered = [json.loads(item) for _, kind, item in rows if kind == "discovered"]
        traps = [json.loads(item) for _, kind, item in rows if kind == "trap"]
        return Batch(batch, [r[0] for r in rows], observations, discovered, traps)

    def acknowledge(self, batch: str) -> int:
        """The portal has the batch (stored, or a duplicate of one it stored): forget it."""
        with self.db:
            cursor = self.db.execute("DELETE FROM results WHERE batch = ?", (batch,))
        self._depth -= cursor.rowcount
        return cursor.rowcount

    def release(self, batch: str) -> None:
        """Take the batch id back (the portal found the batch too large: it is sent smaller)."""
        with self.db:
            self.db.execute("UPDATE results SET batch = NULL WHERE batch = ?", (batch,))

    def refuse(
        self, batch: str, status: int, reason: str, *, now: float | None = None, keep: int = REFUSED_KEEP
    ) -> int:
        """The portal refused the batch (4xx): keep its rows apart, never send them again.
        Only the newest ``keep`` refused rows of the last REFUSED_DAYS days are kept."""
        now = time.time() if now is None else now
        with self.db:
            self.db.execute("BEGIN IMMEDIATE")
            self.db.execute(
                "INSERT INTO refused(id, kind, item, at, batch, status, reason, refused_at) "
                "SELECT id, kind, item, at, batch, ?, ?, ? FROM results WHERE batch = ?",
                (status, reason[:1000], now, batch),
            )
            cursor = self.db.execute("DELETE FROM results WHERE batch = ?", (batch,))
            self._add("refused", cursor.rowcount)
            self.db.execute("DELETE FROM refused WHERE refused_at < ?", (now - REFUSED_DAYS * 86400,))
            self.db.execute(
                "DELETE FROM refused WHERE id < (SELECT MIN(id) FROM "
                "(SELECT id FROM refused ORDER BY id DESC LIMIT ?))",
                (keep,),
            )
        self._depth -= cursor.rowcount
        return cursor.rowcount

    def refused(self) -> list[dict]:
        return [
            {
                "id": r[0],
                "kind": r[1],
                "item": json.loads(r[2]),
                "batch": r[3],
                "status": r[4],
                "reason": r[5],
            }
            for r in self.db.execute(
                "SELECT id, kind, item, batch, status, reason FROM refused ORDER BY id"
            ).fetchall()
        ]

    # --- schedule: when each device and range was last polled -----------------------------------

    def last_run(self, key: str) -> float | None:
        row = self.db.execute("SELECT last FROM schedule WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def mark_run(self, key: str, at: float, *, ok: bool = True) -> None:
        self.db.execute(
            "INSERT INTO schedule(key, last, ok) VALUES(?, ?, ?) "
            "ON CONFLICT(key) DO UPDATE SET last = excluded.last, ok = excluded.ok",
            (key, at, int(ok)),
        )

    def schedule(self) -> dict[str, tuple[float, bool]]:
        return {k: (last, bool(ok)) for k, last, ok in self.db.execute("SELECT key, last, ok FROM schedule")}

    def forget_runs(self, keep: set[str]) -> None:
        for key in set(self.schedule()) - keep:
            self.db.execute("DELETE FROM schedule WHERE key = ?", (key,))
