"""``manage.py simfleet``: write recordings for the simulated fleet and serve them with snmpsim."""

from __future__ import annotations

import signal
import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from fmp_snmp.simfleet import snmpsim_start, write_recordings
from printers.models import Device


class Command(BaseCommand):
    help = "Serve the simulated printer fleet (snmpsim) on 127.0.0.1 for the demo and the tests."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=settings.FMP_SIM_PORT)
        parser.add_argument("--data-dir", default=str(Path(settings.BASE_DIR) / "var" / "simfleet"))
        parser.add_argument("--write-only", action="store_true", help="write the recordings and stop")
        parser.add_argument(
            "--background", action="store_true", help="start snmpsim and return (pid printed)"
        )

    def handle(self, *args, **options):
        data_dir = Path(options["data_dir"])
        devices = (
            Device.objects.filter(
                ip_address="127.0.0.1", snmp_port=options["port"], snmp_community__startswith="fmp-"
            )
            .select_related("model__manufacturer", "state")
            .prefetch_related("supplies")
        )
        count = write_recordings(data_dir / "data", devices)
        self.stdout.write(f"{count} simulated device(s) written to {data_dir / 'data'}")
        if options["write_only"]:
            return
        endpoint = f"127.0.0.1:{options['port']}"
        process = snmpsim_start(data_dir / "data", data_dir / "cache", [endpoint], data_dir / "snmpsim.log")
        (data_dir / "snmpsim.pid").write_text(str(process.pid))
        self.stdout.write(
            f"snmpsim serving on udp://{endpoint} (pid {process.pid}, log {data_dir / 'snmpsim.log'})"
        )
        if options["background"]:
            return
        signal.signal(signal.SIGTERM, lambda *_: process.terminate())
        try:
            while process.poll() is None:
                time.sleep(1)
        except KeyboardInterrupt:
            process.terminate()
