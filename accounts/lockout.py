"""Login lock-out (django-axes): failures counted per user, and per address far higher.

One mechanism, axes' failure records (one row per username, address and browser):

- a user is locked out after ``AXES_FAILURE_LIMIT`` failures for *that username* (typed as
  username or e-mail, in any case: ``lockout_username``) within the cool-off time, whatever
  the address: colleagues behind the same office NAT are not affected;
- an address is locked out after ``FMP_LOGIN_ADDRESS_FAILURE_LIMIT`` failures for any
  usernames from it (password spraying);
- a successful login clears only that user's own failures, so logging in to one's own
  account between guesses at someone else's gains nothing.

Every failed login counts, whatever sends django's ``user_login_failed`` signal with the
request and ``credentials={"username": ...}``: the login form, a wrong old password on the
change-password form (``login_failure_record``), a wrong second-factor code.
"""

from __future__ import annotations

import ipaddress

from axes.attempts import get_cool_off_threshold
from axes.handlers.database import AxesDatabaseHandler
from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_client_username, get_cool_off
from axes.models import AccessAttempt, AccessFailureLog
from django.conf import settings
from django.contrib.auth.signals import user_login_failed
from django.db.models import Sum
from django.shortcuts import render

USER = "user"
ADDRESS = "address"


def client_address(request) -> str | None:
    """The address that failures are counted against: the connection's own (REMOTE_ADDR;
    X-Forwarded-For could be forged), an IPv6 address reduced to its /64 network (one
    subscriber holds a whole /64, so counting single addresses would let it spray freely)."""
    raw = (request.META.get("REMOTE_ADDR") or "").strip()
    try:
        address = ipaddress.ip_address(raw)
    except ValueError:
        return raw or None
    if address.version == 6:
        if address.ipv4_mapped:
            return str(address.ipv4_mapped)
        return str(ipaddress.ip_network(f"{address}/64", strict=False).network_address)
    return str(address)


def lockout_username(request, credentials) -> str:
    """Lock-out key: the canonical username, so typing the e-mail instead gains no tries."""
    from accounts.backends import find_user

    typed = (credentials or {}).get("username") or request.POST.get("username", "")
    typed = str(typed)
    user = find_user(typed)
    return user.username.lower() if user else typed.strip().lower()


class PortalLockoutHandler(AxesDatabaseHandler):
    """Axes' database handler, with the user and address limits described above."""

    def failure_counts(self, request, credentials=None) -> tuple[int, int]:
        """Recent failures of this username, and of this address for any usernames.

        The user's come from axes' attempts (which that user's success clears); the
        address's from the failure log, which no success clears: a sprayed user logging
        in between guesses gives the sprayer's address nothing back."""
        username = get_client_username(request, credentials)
        since = get_cool_off_threshold(request)
        by_user = AccessAttempt.objects.filter(username=username, attempt_time__gte=since).aggregate(
            n=Sum("failures_since_start")
        )["n"]
        by_address = AccessFailureLog.objects.filter(
            ip_address=request.axes_ip_address, attempt_time__gte=since
        ).count()
        # Axes judges a failure before it writes it to the log: count it already.
        by_address += 1 if getattr(request, "_fmp_failure_unlogged", False) else 0
        return by_user or 0, by_address

    def user_login_failed(self, sender, credentials, request=None, **kwargs):
        if request is not None:
            request._fmp_failure_unlogged = True
        try:
            super().user_login_failed(sender, credentials, request, **kwargs)
        finally:
            if request is not None:
                request._fmp_failure_unlogged = False

    def lockout_reason(self, request, credentials=None) -> str | None:
        user_failures, address_failures = self.failure_counts(request, credentials)
        if user_failures >= settings.AXES_FAILURE_LIMIT:
            return USER
        if address_failures >= settings.FMP_LOGIN_ADDRESS_FAILURE_LIMIT:
            return ADDRESS
        return None

    def get_failures(self, request, credentials=None) -> int:
        """The user's failures; an address past its own limit counts as a full set.

        Axes compares this number with ``AXES_FAILURE_LIMIT`` (the per-user limit) both
        before authenticating and after recording a failure.
        """
        user_failures, address_failures = self.failure_counts(request, credentials)
        if address_failures >= settings.FMP_LOGIN_ADDRESS_FAILURE_LIMIT:
            return max(user_failures, settings.AXES_FAILURE_LIMIT)
        return user_failures

    def reset_user_attempts(self, request, credentials=None) -> int:
        """On success: only this user's failures go (never the whole address's)."""
        username = get_client_username(request, credentials)
        count, _ = AccessAttempt.objects.filter(username=username).delete()
        return count


def lockout_response(request, original_response=None, credentials=None):
    """The lock-out page: says whether the account or the address is blocked."""
    reason = AxesProxyHandler.get_implementation().lockout_reason(request, credentials)
    cool_off = get_cool_off(request)
    context = {
        "reason": reason or USER,
        "failure_limit": settings.AXES_FAILURE_LIMIT,
        "cooloff": cool_off,
    }
    return render(request, "accounts/locked_out.html", context, status=settings.AXES_HTTP_RESPONSE_CODE)


def is_locked_out(request, username: str) -> bool:
    """Whether a login as ``username`` from this request would be refused now."""
    return not AxesProxyHandler.is_allowed(request, {"username": username})


def login_failure_record(request, username: str) -> None:
    """Count a failed proof of identity for ``username`` (e.g. a wrong old password).

    When it reaches the limit, the response becomes the lock-out page (axes' middleware).
    """
    user_login_failed.send(sender=__name__, credentials={"username": username}, request=request)
