"""``manage.py device_add HOST --account ACCOUNT [...]``: add a device monitored over SNMP,
polled by a site collector of the account (``--collector NAME``) or by the portal.

Prints the new device's id on its last line (scripts and the help desk's onboarding use it).
ACCOUNT is an account's id, its name, or its full name ("Parent / Child"); SITE a site's id
or name within the account; NAME a collector's name (or id) within the account.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from accounts.models import Account, Site
from collectors.models import Collector
from printers.services import DeviceCreateError, device_create


def account_find(text: str) -> Account:
    """The account named (or numbered) ``text``; CommandError when none or several match."""
    text = text.strip()
    if text.isdigit():
        account = Account.objects.filter(pk=int(text)).first()
        if account is None:
            raise CommandError(f"No account with id {text}.")
        return account
    matches = list(Account.objects.filter(name__iexact=text).select_related("parent__parent"))
    if not matches:
        matches = [
            a
            for a in Account.objects.select_related("parent__parent")
            if a.full_name.lower() == " / ".join(p.strip() for p in text.split("/")).lower()
        ]
    if not matches:
        raise CommandError(f"No account named {text!r}.")
    if len(matches) > 1:
        names = ", ".join(f"{a.pk} ({a.full_name})" for a in matches)
        raise CommandError(f"Several accounts are named {text!r}: give the id, one of {names}.")
    return matches[0]


def _one_of(queryset, text: str, what: str, account: Account):
    text = text.strip()
    found = None
    if text.isdigit():
        found = queryset.filter(pk=int(text)).first()
    found = found or queryset.filter(name__iexact=text).first()
    if found is None:
        if queryset.model.objects.filter(name__iexact=text).exclude(account=account).exists():
            raise CommandError(f"The {what} {text!r} belongs to another account than {account.full_name}.")
        raise CommandError(f"No {what} {text!r} in the account {account.full_name}.")
    return found


class Command(BaseCommand):
    help = (
        "Add a device monitored over SNMP, polled by a site collector of its account (--collector) "
        "or by the portal. Prints the new device's id on the last line."
    )

    def add_arguments(self, parser):
        parser.add_argument("host", help="The device's IP address or DNS name.")
        parser.add_argument("--account", required=True, help="Account id, name or full name.")
        parser.add_argument("--site", default="", help="Site id or name within the account.")
        parser.add_argument("--port", type=int, default=161, help="SNMP port (161).")
        parser.add_argument("--community", default="public", help="SNMP community (public).")
        parser.add_argument("--snmp-version", choices=["1", "2c"], default="2c")
        parser.add_argument(
            "--collector", default="", help="Name of the site collector that polls it (default: the portal)."
        )

    def handle(self, *args, **options):
        account = account_find(options["account"])
        site = None
        if options["site"]:
            site = _one_of(Site.objects.filter(account=account), options["site"], "site", account)
        collector = None
        if options["collector"]:
            collector = _one_of(
                Collector.objects.filter(account=account).select_related("account"),
                options["collector"],
                "site collector",
                account,
            )
        try:
            device = device_create(
                account=account,
                host=options["host"],
                site=site,
                port=options["port"],
                community=options["community"],
                snmp_version=options["snmp_version"],
                collector=collector,
            )
        except DeviceCreateError as exc:
            raise CommandError(str(exc)) from exc
        by = f"the site collector {collector.name!r}" if collector else "the portal"
        self.stdout.write(
            f"Device {device.pk} added to {account.full_name} at {options['host']}, polled by {by}."
        )
        self.stdout.write(str(device.pk))
