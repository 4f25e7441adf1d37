"""``manage.py simfleet``: write recordings for the simulated fleet and serve them with
snmpsim, with a raw-print listener that takes the fleet's test pages (port 9100 style)."""

from __future__ import annotations

import signal
import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from fmp_snmp.simfleet import raw_print_start, snmpsim_start, write_recordings
from printers.models import Device


class Command(BaseCommand):
    help = (
        "Serve the simulated printer fleet (snmpsim) on 127.0.0.1 for the demo and the tests, "
        "and a raw-print listener for its test pages."
    )

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=settings.FMP_SIM_PORT)
        parser.add_argument(
            "--raw-print-port",
            type=int,
            default=settings.FMP_RAW_PRINT_PORT,
            help="TCP port of the raw-print listener (FMP_RAW_PRINT_PORT, where the portal sends test pages); 0: none",
        )
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
        printer = self._raw_print(data_dir, options["raw_print_port"])
        if options["background"]:
            return
        children = [p for p in (process, printer) if p is not None]
        signal.signal(signal.SIGTERM, lambda *_: [p.terminate() for p in children])
        try:
            while process.poll() is None:
                time.sleep(1)
        except KeyboardInterrupt:
            pass
        for child in children:
            child.terminate()

    def _raw_print(self, data_dir: Path, port: int):
        """The listener that takes the simulated printers' test pages, or None."""
        pid_file = data_dir / "rawprint.pid"
        pid_file.unlink(missing_ok=True)
        if not port:
            return None
        folder = data_dir / "printed"
        try:
            printer = raw_print_start(port, folder)
        except RuntimeError as exc:
            self.stderr.write(
                f"No raw-print listener on 127.0.0.1:{port} ({exc}): test pages to the simulated fleet "
                "will fail. Choose another port with FMP_RAW_PRINT_PORT."
            )
            return None
        pid_file.write_text(str(printer.pid))
        self.stdout.write(
            f"raw-print listener on tcp://127.0.0.1:{port} (pid {printer.pid}): test pages are kept in "
            f"{folder} and listed in {folder / 'received.log'}"
        )
        return printer
