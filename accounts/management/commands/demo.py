"""``python manage.py demo``: build the demo world of the client guide (idempotent)."""

from __future__ import annotations

import os

from django.core.management.base import BaseCommand

from accounts.demo import DEFAULT_DEMO_PASSWORD, DEMO_USERS, demo_world_build
from accounts.otp import totp_secret


class Command(BaseCommand):
    help = "Create the demo accounts, sites and users (and a fleet with --devices N). Idempotent."

    def add_arguments(self, parser):
        parser.add_argument(
            "--devices",
            type=int,
            default=0,
            help=(
                "Size of ABC London Pursuit's demo fleet (0: none): the client guide's printers, "
                "the simulator's special ones, then generated ones; Other Industries gets a tenth more."
            ),
        )

    def handle(self, *args, **options):
        password = os.environ.get("FMP_DEMO_PASSWORD") or DEFAULT_DEMO_PASSWORD
        world = demo_world_build(password=password)
        fleet_lines = self._fleet(world, options["devices"]) if options["devices"] > 0 else []
        self.stdout.write(self.style.SUCCESS("Demo world ready."))
        for line in fleet_lines:
            self.stdout.write(line)
        self.stdout.write(f"Accounts: {', '.join(a.full_name for a in world['accounts'])}")
        self.stdout.write("Users (password for new users: %s):" % password)
        for spec in DEMO_USERS:
            role = spec.role or "Help desk"
            self.stdout.write(f"  {spec.email:<28} {role}")
        for email, device in world["otp_devices"].items():
            self.stdout.write(
                f"Two-step verification of {email}: secret key {totp_secret(device)} (add it to an "
                "authenticator app, time-based), or print the current code with:\n"
                f"  python manage.py totp_code {email}"
            )

    def _fleet(self, world, size: int) -> list[str]:
        """Build the demo fleet, catalogue, tickets and orders; the lines that say what exists."""
        from printers.demo import (
            GUIDE_DEVICES,
            GUIDE_SPECIAL_COMMUNITIES,
            SPECIAL_COMMUNITIES,
            catalogue_ensure,
            demo_fleet_build,
            demo_special_devices,
        )
        from printers.models import Device
        from supplies.demo import demo_catalogue_build, demo_orders_build
        from tickets.demo import demo_tickets_build

        _abc, pursuit, other = world["accounts"]
        xps, other_site = world["sites"]
        # ABC London Pursuit: the guide's printers first (two of them answered by special
        # recordings), then the simulator's other special printers, then generated ones.
        guide_special = GUIDE_SPECIAL_COMMUNITIES[:size]
        guide = GUIDE_DEVICES[: max(0, size - len(guide_special))]
        others = [c for c in SPECIAL_COMMUNITIES if c not in guide_special][
            : max(0, size - len(guide_special) - len(guide))
        ]
        generated = size - len(guide_special) - len(guide) - len(others)
        catalogue_ensure()  # the models, before the special printers name theirs
        new = demo_special_devices(account=pursuit, site=xps, communities=guide_special + others)
        new += demo_fleet_build(account=pursuit, site=xps, count=len(guide) + generated, seed=1, fixed=guide)
        new_other = demo_fleet_build(
            account=other, site=other_site, count=max(3, size // 10), seed=2, serial_prefix="O"
        )
        demo_catalogue_build()
        users = world["users"]
        demo_tickets_build(
            account=pursuit, requester=users["user@abc-cars.example"], helpdesk=users["helpdesk@fmp.example"]
        )
        demo_orders_build(account=pursuit, requester=users["manager@abc-cars.example"])

        def counted(account) -> tuple[int, int]:
            devices = Device.objects.filter(account=account)
            return devices.count(), devices.filter(managed_by_snmp=False).count()

        total, offline = counted(pursuit)
        total_other, _offline = counted(other)
        return [
            f"Demo fleet of {pursuit.full_name}: {total} devices ({new} new this time): "
            f"{len(guide_special) + len(guide)} of the client guide, {len(others)} special recordings of the "
            f"simulator, {generated} generated; {offline} of them not on the network (manual meter reads).",
            f"Demo fleet of {other.full_name}: {total_other} devices ({new_other} new this time).",
        ]
