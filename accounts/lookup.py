"""Accounts and sites named on the command line (``collector_add``, ``device_add``)."""

from __future__ import annotations

from django.core.management.base import CommandError

from accounts.models import Account


def account_find(text: str) -> Account:
    """An account by id, by name or by full name ("ABC Cars / ABC London Pursuit"), ignoring
    case; a name that several accounts share must be given in full (or by id). CommandError
    with the reason otherwise."""
    text = text.strip()
    if text.isdigit():
        account = Account.objects.filter(pk=int(text)).first()
        if account is None:
            raise CommandError(f"No account with id {text}.")
        return account
    found = list(
        Account.objects.filter(name__iexact=text.split("/")[-1].strip()).select_related("parent__parent")
    )
    if "/" in text:
        wanted = " / ".join(part.strip() for part in text.split("/")).lower()
        found = [a for a in found if a.full_name.lower() == wanted]
    if not found:
        raise CommandError(f"No account named {text!r}.")
    if len(found) > 1:
        names = ", ".join(sorted(f"{a.pk} ({a.full_name})" for a in found))
        raise CommandError(
            f"Several accounts are named {text!r}: give the full name or the id, one of {names}."
        )
    return found[0]


def named_in_account(queryset, text: str, what: str, account: Account):
    """The row of ``queryset`` (sites, collectors of ``account``) with that id or name."""
    text = text.strip()
    found = queryset.filter(pk=int(text)).first() if text.isdigit() else None
    if found is None:
        matches = list(queryset.filter(name__iexact=text)[:2])
        if len(matches) > 1:
            raise CommandError(f"Several {what}s of {account.full_name} are named {text!r}: give its id.")
        found = matches[0] if matches else None
    if found is None:
        if queryset.model.objects.filter(name__iexact=text).exclude(account=account).exists():
            raise CommandError(f"The {what} {text!r} belongs to another account than {account.full_name}.")
        raise CommandError(f"No {what} {text!r} in the account {account.full_name}.")
    return found
