"""Receive SNMP traps and informs (contract in SPEC.md):

    python manage.py trap_receiver [--bind ADDRESS:PORT]

v1/v2c traps and SNMPv3 informs (users in FMP_TRAP_V3_USERS); each sender is held to
FMP_TRAP_RATE traps a second (bursts of FMP_TRAP_BURST). Traps are stored in batches by a
thread of their own (printers.traps.traps_store) while the receiving loop goes on.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import signal
import threading
import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import close_old_connections, connection
from django.utils import timezone

from fmp_snmp.traps import AUTH_PROTOCOLS, PRIV_PROTOCOLS, V3User, serve

BATCH = 500
BATCH_SECONDS = 0.2


def v3_users(text: str) -> tuple[V3User, ...]:
    """FMP_TRAP_V3_USERS: "name:auth:key:priv:key;..." (protocols may be empty for none)."""
    users = []
    for entry in filter(None, (part.strip() for part in text.split(";"))):
        fields = entry.split(":")
        if len(fields) != 5 or not fields[0]:
            raise CommandError(
                f"FMP_TRAP_V3_USERS: {fields[0] or '?'}: expected name:auth protocol:auth key:priv protocol:priv key"
            )
        name, auth, auth_key, priv, priv_key = fields
        if (auth_key and len(auth_key) < 8) or (priv_key and len(priv_key) < 8):
            raise CommandError(f"FMP_TRAP_V3_USERS: {name}: keys have at least 8 characters (RFC 3414)")
        if auth.upper() not in AUTH_PROTOCOLS or priv.upper() not in PRIV_PROTOCOLS:
            raise CommandError(
                f"FMP_TRAP_V3_USERS: {name}: authentication is one of {', '.join(sorted(AUTH_PROTOCOLS - {''}))} "
                f"and privacy one of {', '.join(sorted(PRIV_PROTOCOLS - {''}))}"
            )
        users.append(V3User(name, auth, auth_key, priv, priv_key))
    return tuple(users)


def parse_bind(text: str) -> tuple[str, int]:
    host, _, port = text.rpartition(":")
    host = host.strip("[]") or "0.0.0.0"  # noqa: S104 -- the receiver listens where it is told
    try:
        number = int(port)
    except ValueError:
        raise CommandError(f"--bind: {text!r} is not ADDRESS:PORT") from None
    if not 0 < number < 65536:
        raise CommandError(f"--bind: port {number} is outside 1..65535")
    return host, number


class Command(BaseCommand):
    help = "Receive SNMP traps and informs from the printers polled centrally."

    def add_arguments(self, parser):
        parser.add_argument(
            "--bind", default=settings.FMP_TRAP_BIND, help="ADDRESS:PORT (default %(default)s)"
        )

    def handle(self, *args, **options):
        host, port = parse_bind(options["bind"])
        users = v3_users(settings.FMP_TRAP_V3_USERS)
        engine_id = bytes.fromhex(settings.FMP_TRAP_ENGINE_ID) if settings.FMP_TRAP_ENGINE_ID else None
        received: queue.Queue = queue.Queue(maxsize=200_000)
        stop = threading.Event()
        storer = threading.Thread(
            target=self.store_loop, args=(received, stop), name="fmp-traps", daemon=True
        )
        storer.start()

        def handle(trap, source):
            try:
                received.put_nowait((trap, source, timezone.now()))
            except queue.Full:  # the database is far behind: drop rather than grow without bound
                self.dropped += 1

        self.dropped = 0

        async def main():
            loop = asyncio.get_running_loop()
            finished = asyncio.Event()
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(sig, finished.set)
            try:
                transport, protocol = await serve(
                    handle,
                    host,
                    port,
                    communities=frozenset(settings.FMP_TRAP_COMMUNITIES) or None,
                    rate=settings.FMP_TRAP_RATE,
                    burst=settings.FMP_TRAP_BURST,
                    v3_users=users,
                    engine_id=engine_id,
                )
            except OSError as exc:
                raise CommandError(f"cannot listen on {host}:{port}: {exc}") from None
            self.stdout.write(
                f"Receiving traps on {host}:{port}" + (f" ({len(users)} SNMPv3 user(s))" if users else "")
            )
            self.stdout.flush()
            try:
                while not finished.is_set():
                    try:
                        await asyncio.wait_for(finished.wait(), 60)
                    except TimeoutError:
                        s = protocol.stats
                        self.stdout.write(
                            f"traps: {s.received} received, {s.handled} handled, {s.invalid} malformed, "
                            f"{s.rate_limited} over their sender's rate, {s.wrong_community} wrong community, "
                            f"{self.dropped} dropped (store behind)"
                        )
            finally:
                transport.close()

        try:
            asyncio.run(main())
        finally:
            stop.set()
            storer.join(30)

    def store_loop(self, received: queue.Queue, stop: threading.Event) -> None:
        """Store what came, in batches of up to BATCH or every BATCH_SECONDS."""
        from printers.traps import traps_store

        try:
            while not (stop.is_set() and received.empty()):
                batch = []
                deadline = time.monotonic() + BATCH_SECONDS
                while len(batch) < BATCH:
                    try:
                        batch.append(received.get(timeout=max(0.0, deadline - time.monotonic())))
                    except queue.Empty:
                        break
                if not batch:
                    continue
                close_old_connections()
                try:
                    traps_store(batch)
                except Exception:  # the database away a moment: those traps are lost, not the receiver
                    self.stderr.write(f"could not store {len(batch)} trap(s); see the log")
                    logging.getLogger("fmp.traps").exception("Storing %d traps failed", len(batch))
        finally:
            connection.close()
