"""``manage.py snmp_probe HOST``: poll one device now, store nothing, print the normalised result."""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError

from fmp_snmp.aio import run_sync
from fmp_snmp.client import SnmpClient
from fmp_snmp.probe import probe
from fmp_snmp.types import SnmpTarget


class Command(BaseCommand):
    help = "Poll one device over SNMP right now and print what FMP reads from it (nothing is stored)."

    def add_arguments(self, parser):
        parser.add_argument("host")
        parser.add_argument("--port", type=int, default=161)
        parser.add_argument("--community", default="public")
        parser.add_argument("--snmp-version", choices=["1", "2c", "3"], default="2c")
        parser.add_argument("--v3-user", default="")
        parser.add_argument("--v3-auth-protocol", default="", help="MD5, SHA, SHA224, SHA256, SHA384, SHA512")
        parser.add_argument("--v3-auth-key", default="")
        parser.add_argument("--v3-priv-protocol", default="", help="DES, 3DES, AES, AES192, AES256")
        parser.add_argument("--v3-priv-key", default="")
        parser.add_argument("--timeout", type=float, default=2.0, help="seconds per request")
        parser.add_argument("--retries", type=int, default=1)
        parser.add_argument("--json", action="store_true", help="print the result as JSON")

    def handle(self, *args, **options):
        if not 0 < options["port"] < 65536:
            raise CommandError("--port must be between 1 and 65535")
        if options["snmp_version"] == "3" and not options["v3_user"]:
            raise CommandError("SNMPv3 needs --v3-user")
        target = SnmpTarget(
            host=options["host"],
            port=options["port"],
            version=options["snmp_version"],
            community=options["community"],
            v3_user=options["v3_user"],
            v3_auth_protocol=options["v3_auth_protocol"],
            v3_auth_key=options["v3_auth_key"],
            v3_priv_protocol=options["v3_priv_protocol"],
            v3_priv_key=options["v3_priv_key"],
            timeout=max(0.1, options["timeout"]),
            retries=max(0, options["retries"]),
        )

        async def run():
            async with SnmpClient() as client:
                return await probe(client, target)

        result = run_sync(run)
        if not result.ok:
            if options["json"]:
                self.stdout.write(
                    json.dumps(
                        {
                            "status": "unreachable",
                            "error": result.error,
                            "host": target.host,
                            "port": target.port,
                        }
                    )
                )
            raise CommandError(f"{target.host}:{target.port} did not answer: {result.error}", returncode=2)
        data = result.normalised.as_json()
        if options["json"]:
            self.stdout.write(json.dumps(data, ensure_ascii=False))
            return
        self.stdout.write(
            f"{data['vendor']} {data['model']}  serial {data['serial'] or '-'}  ({result.duration_ms} ms)"
        )
        self.stdout.write(f"name {data['sys_name'] or '-'}  location {data['location'] or '-'}")
        self.stdout.write(f"status {data['status']}  {', '.join(data['errors']) or ''}")
        for supply in data["supplies"]:
            pct = "-" if supply["percent"] is None else f"{supply['percent']} %"
            self.stdout.write(
                f"  [{supply['index']}] {supply['description']} ({supply['type']}, {supply['color'] or '-'}): {pct}"
            )
        for name, value in data["counters"].items():
            self.stdout.write(f"  counter {name}: {value}")
        for alert in data["alerts"]:
            self.stdout.write(f"  alert {alert['severity']}: {alert['description']}")
