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
            help="Number of demo printers for ABC London Pursuit (0: none).",
        )

    def handle(self, *args, **options):
        password = os.environ.get("FMP_DEMO_PASSWORD") or DEFAULT_DEMO_PASSWORD
        world = demo_world_build(password=password)
        if options["devices"] > 0:
            from printers.demo import demo_fleet_build, demo_special_devices

            pursuit, other = world["accounts"][1], world["accounts"][2]
            xps, other_site = world["sites"]
            created = demo_fleet_build(account=pursuit, site=xps, count=options["devices"], seed=1)
            created += demo_fleet_build(
                account=other,
                site=other_site,
                count=max(3, options["devices"] // 10),
                seed=2,
                serial_prefix="O",
            )
            created += demo_special_devices(account=pursuit, site=xps)
            from supplies.demo import demo_catalogue_build
            from tickets.demo import demo_tickets_build

            demo_catalogue_build()

            demo_tickets_build(account=pursuit, requester=world["users"]["user@abc-cars.example"])
            fleet_line = f"Demo fleet: {created} new device(s)."
        else:
            fleet_line = ""
        self.stdout.write(self.style.SUCCESS("Demo world ready."))
        if fleet_line:
            self.stdout.write(fleet_line)
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
