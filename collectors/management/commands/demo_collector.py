"""``python manage.py demo_collector --state DIR``: the demo's site collector (idempotent).

Creates the collector "XPS site collector" for ABC London Pursuit's XPS Hosting Site and
hands it part of the demo fleet (the rest stays with the portal's own poller). When the
collector in DIR is not this database's enrolled collector, the folder is cleared and a new
one-time code is printed on the last line as ``ENROLL <code>``; otherwise the last line is
``ENROLLED``. ``scripts/demo`` enrolls and runs the collector from it.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from accounts.models import Account, Site
from collectors.models import Collector
from collectors.services import collector_code_issue
from printers.models import Device
from printers.services import devices_collector_assign

NAME = "XPS site collector"


class Command(BaseCommand):
    help = "Create the demo's site collector, give it part of the demo fleet, print how to enroll it."

    def add_arguments(self, parser):
        parser.add_argument("--state", required=True, help="The collector's state folder.")
        parser.add_argument(
            "--share",
            type=int,
            default=4,
            help="One demo printer in SHARE goes to the collector (default 4).",
        )

    def handle(self, *args, **options):
        account = Account.objects.filter(name="ABC London Pursuit").first()
        site = Site.objects.filter(account=account, name="XPS Hosting Site").first()
        if account is None or site is None:
            raise CommandError("Build the demo world first: python manage.py demo --devices 40")
        collector, _ = Collector.objects.get_or_create(account=account, name=NAME, defaults={"site": site})
        if collector.revoked_at is not None:
            collector.revoked_at = None
            collector.public_key = ""
            collector.enrolled_at = None
            collector.save(update_fields=["revoked_at", "public_key", "enrolled_at"])
        # Every SHARE-th simulated printer of the site (by serial), never the guide's special ones.
        fleet = list(
            Device.objects.filter(account=account, site=site, ip_address="127.0.0.1")
            .exclude(snmp_community__startswith="sim-")
            .order_by("serial_number")
        )
        mine = [d for n, d in enumerate(fleet) if n % max(1, options["share"]) == 0]
        changed = [d for d in mine if d.collector_id != collector.pk]
        if changed:
            devices_collector_assign(devices=changed, collector=collector, by=None)
        self.stdout.write(f"{NAME}: {len(mine)} of {len(fleet)} demo printers are polled through it.")
        state = Path(options["state"])
        try:
            uid = json.loads((state / "collector.json").read_text()).get("uid")
        except (OSError, ValueError, AttributeError):
            uid = None
        if collector.enrolled_at and uid == str(collector.uid):
            self.stdout.write("ENROLLED")
            return
        shutil.rmtree(state, ignore_errors=True)  # a collector of an older demo database
        self.stdout.write(f"ENROLL {collector_code_issue(collector=collector)}")
