"""``python manage.py collector_add NAME --account ACCOUNT [--site SITE]``: create a site
collector and print its one-time enrollment code on the last line."""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from accounts.lookup import account_find, named_in_account
from accounts.models import Site
from collectors.models import Collector
from collectors.services import collector_create


class Command(BaseCommand):
    help = "Create a site collector for an account and print its one-time enrollment code (last line)."

    def add_arguments(self, parser):
        parser.add_argument("name", help="The collector's name (unique within the account).")
        parser.add_argument(
            "--account", required=True, help="Account id, name or full name (Parent / Child)."
        )
        parser.add_argument("--site", help="Site id or name, within the account (optional).")

    def handle(self, *args, name, account, site=None, **options):
        name = name.strip()
        if not name or len(name) > 100:
            raise CommandError("The name must have 1 to 100 characters.")
        account_row = account_find(account)
        site_row = (
            named_in_account(Site.objects.filter(account=account_row), site, "site", account_row)
            if site
            else None
        )
        if Collector.objects.filter(account=account_row, name__iexact=name).exists():
            raise CommandError(f"Account {account_row.full_name!r} already has a collector named {name!r}.")
        collector, code = collector_create(account=account_row, site=site_row, name=name, by=None)
        self.stdout.write(
            f"Collector {collector.name!r} created for {account_row.full_name}"
            + (f", site {site_row.name}" if site_row else "")
            + f" (id {collector.uid})."
        )
        self.stdout.write(
            f"Enrollment code (works once, expires in {settings.FMP_COLLECTOR_CODE_HOURS} hours):"
        )
        self.stdout.write(code)
