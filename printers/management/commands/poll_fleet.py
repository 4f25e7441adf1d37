"""``manage.py poll_fleet``: poll the fleet now (or every N seconds with --loop) without Celery."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand

from printers.polling import fleet_poll_run


class Command(BaseCommand):
    help = "Poll every monitored device now (the demo runs it in a loop; production uses Celery beat)."

    def add_arguments(self, parser):
        parser.add_argument("--loop", type=int, default=0, help="poll again every N seconds (0: once)")
        parser.add_argument(
            "--device", type=int, action="append", help="poll only this device id (repeatable)"
        )

    def handle(self, *args, **options):
        while True:
            started = time.monotonic()
            run = fleet_poll_run(
                kind="refresh" if options["device"] else "fleet",
                device_ids=options["device"],
                respect_backoff=not options["device"],
            )
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
