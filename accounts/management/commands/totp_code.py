"""``python manage.py totp_code USER``: the code a user's authenticator app shows now.

For the demo's help-desk user (whose secret ``manage.py demo`` prints) and for operators
who have the database anyway; it prints nothing for a user without an authenticator app.
"""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError

from accounts.backends import find_user
from accounts.otp import totp_code_usable, totp_device


class Command(BaseCommand):
    help = "Print the current two-step verification code of a user (username or e-mail)."

    def add_arguments(self, parser):
        parser.add_argument("user", help="Username or e-mail address.")

    def handle(self, *args, **options):
        user = find_user(options["user"])
        if user is None:
            raise CommandError(f"No user {options['user']!r}.")
        device = totp_device(user)
        if device is None:
            raise CommandError(
                f"{user.get_username()} has no authenticator app (two-step verification is off)."
            )
        code = totp_code_usable(device)
        if code is None:
            raise CommandError("The codes of the next minute were used already: try again in 30 seconds.")
        self.stdout.write(code)
        left = device.step - int(time.time() - device.t0) % device.step
        self.stderr.write(f"(valid for about {left + device.step} seconds, for one login)")
