"""``manage.py poll_fleet``: poll the fleet now (or every N seconds with --loop) without Celery."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand
from django.db import DatabaseError, close_old_connections

from printers.polling import fleet_poll_run


class Command(BaseCommand):
    help = "Poll every monitored device now (the demo runs it in a loop; production uses Celery beat)."

    def add_arguments(self, parser):
        parser.add_argument("--loop", type=int, default=0, help="poll again every N seconds (0: once)")
        parser.add_argument(
            "--device", type=int, action="append", help="poll only this device id (repeatable)"
        )

    def poll_once(self, options):
        return fleet_poll_run(
            kind="refresh" if options["device"] else "fleet",
            device_ids=options["device"],
            respect_backoff=not options["device"],
        )

    def handle(self, *args, **options):
        while True:
            started = time.monotonic()
            close_old_connections()  # a database restarted since the last run: reconnect
            try:
                run = self.poll_once(options)
            except DatabaseError as exc:
                # The database went away during the run: its finished batches are stored; the
                # claims of the others expire, and the next run polls them.
                self.stderr.write(f"Poll run interrupted by the database ({exc}); retrying next time.")
                close_old_connections()
                if not options["loop"]:
                    raise SystemExit(1) from exc
                time.sleep(max(1, options["loop"]))
                continue
            if run is None:
                self.stdout.write("A fleet poll is already running: skipped.")
            else:
                self.stdout.write(
                    f"Polled {run.devices} device(s), {run.failures} failure(s) in {time.monotonic() - started:.1f} s."
                )
            from supplies.services import proactive_orders_place

            placed = proactive_orders_place()
            if placed:
                self.stdout.write(f"{len(placed)} proactive supply order(s) placed.")
            if not options["loop"]:
                return
            time.sleep(max(1, options["loop"] - (time.monotonic() - started)))
