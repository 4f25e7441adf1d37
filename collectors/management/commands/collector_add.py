"""``python manage.py collector_add NAME --account ACCOUNT [--site SITE]``: create a site
collector and print its one-time enrollment code on the last line."""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from accounts.models import Account, Site
from collectors.models import Collector
from collectors.services import collector_create


def account_find(text: str) -> Account:
    """An account by id, by name or by full name ("ABC Cars / ABC London Pursuit"), ignoring
    case; a name that several accounts share must be given in full (or by id)."""
    text = text.strip()
    if text.isdigit():
        found = list(Account.objects.filter(pk=int(text)))
    else:
        found = list(Account.objects.filter(name__iexact=text.split("/")[-1].strip()))
        if "/" in text:
            wanted = " / ".join(part.strip() for part in text.split("/")).lower()
            found = [a for a in found if a.full_name.lower() == wanted]
    if not found:
        raise CommandError(f"Unknown account: {text!r}.")
    if len(found) > 1:
        names = ", ".join(sorted(f"{a.full_name!r} (id {a.pk})" for a in found))
        raise CommandError(f"Several accounts are named {text!r}: give the full name or the id ({names}).")
    return found[0]


def site_find(account: Account, text: str) -> Site:
    text = text.strip()
    sites = Site.objects.filter(account=account)
    found = list(sites.filter(pk=int(text)) if text.isdigit() else sites.filter(name__iexact=text))
    if not found:
        raise CommandError(f"Account {account.full_name!r} has no site {text!r}.")
    if len(found) > 1:
        raise CommandError(f"Several sites of {account.full_name!r} are named {text!r}: give its id.")
    return found[0]


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
        site_row = site_find(account_row, site) if site else None
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
