"""Authentication of a collector's signed request (``fmp_collector/PROTOCOL.md``): the
collector, or a :class:`collectors.services.CollectorRefused` (401) saying why."""

from __future__ import annotations

import time
import uuid
from datetime import timedelta

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.http import http_date

from collectors.models import Collector, CollectorNonce
from collectors.services import CollectorRefused, collector_returned
from fmp_collector import protocol

LAST_SEEN_EVERY = timedelta(seconds=30)  # last contact is written at most this often


def collector_authenticate(
    *, method: str, path: str, body: bytes, headers, address: str | None, now: float | None = None
) -> Collector:
    """The collector that signed this request, or :class:`CollectorRefused` (401) saying why.

    Costs one query for the collector, one for the nonce, and one more at most every
    ``LAST_SEEN_EVERY`` to record its last contact.
    """

    def refuse(detail: str) -> CollectorRefused:
        return CollectorRefused(401, "unauthorized", detail)

    values = {}
    for name in (
        protocol.HEADER_COLLECTOR,
        protocol.HEADER_TIMESTAMP,
        protocol.HEADER_NONCE,
        protocol.HEADER_SIGNATURE,
    ):
        value = headers.get(name)
        if not value:
            raise refuse(f"missing header {name}")
        values[name] = value
    try:
        uid = uuid.UUID(values[protocol.HEADER_COLLECTOR])
    except ValueError as exc:
        raise refuse("unknown collector") from exc
    collector = Collector.objects.filter(uid=uid).first()
    # The signature first: a request not signed by the collector's key learns nothing of
    # the collector's state (not enrolled, revoked) nor of the portal's clock.
    if collector is None or not collector.public_key:
        raise refuse("unknown collector")
    timestamp = values[protocol.HEADER_TIMESTAMP]
    try:
        if not timestamp.isdigit() or len(timestamp) > 12:
            raise protocol.SignatureRefused("bad timestamp")
        protocol.verify(
            collector.public_key,
            method,
            path,
            body,
            timestamp,
            values[protocol.HEADER_NONCE],
            values[protocol.HEADER_SIGNATURE],
            now=float(timestamp),  # the clock is checked below, once the signature is good
        )
    except protocol.SignatureRefused as exc:
        raise refuse(str(exc)) from exc
    if collector.revoked_at is not None:
        raise refuse("this collector was revoked")
    portal_now = now if now is not None else time.time()
    if abs(int(timestamp) - portal_now) > protocol.MAX_SKEW:
        raise CollectorRefused(
            401,
            "clock_skew",
            f"the request's timestamp is {int(timestamp) - portal_now:+.0f} s from the portal's clock "
            f"(at most {protocol.MAX_SKEW} s allowed): the portal's time is "
            f"{int(portal_now)} ({http_date(portal_now)}, also in the Date header)",
        )
    # One commit for the nonce and the last contact: each commit waits for the disk (WAL
    # flush), and with two per request 1,000 collectors asking every 10 s kept 3 web
    # workers waiting (bench/collector.py).
    with transaction.atomic(savepoint=False):
        new = _nonce_new(collector, values[protocol.HEADER_NONCE])
        if new:
            _contact_record(collector, address)
    if not new:
        raise refuse("replayed request (this nonce was already used)")
    return collector


def _nonce_new(collector: Collector, nonce: str) -> bool:
    """Record the nonce; False when it was already seen (the unique constraint decides, in
    one statement and without a savepoint)."""
    table = CollectorNonce._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (collector_id, nonce, seen_at) VALUES (%s, %s, %s) "  # noqa: S608
            "ON CONFLICT (collector_id, nonce) DO NOTHING",
            [collector.pk, nonce, timezone.now()],
        )
        return cursor.rowcount == 1


def _contact_record(collector: Collector, address: str | None) -> None:
    now = timezone.now()
    if collector.unresponsive_since is not None:
        collector_returned(collector=collector)
    if (
        collector.last_seen_at is not None
        and now - collector.last_seen_at < LAST_SEEN_EVERY
        and str(collector.last_address or "") == str(address or "")
    ):
        return
    Collector.objects.filter(pk=collector.pk).filter(
        Q(last_seen_at__isnull=True) | Q(last_seen_at__lt=now - LAST_SEEN_EVERY) | ~Q(last_address=address)
    ).update(last_seen_at=now, last_address=address)
    collector.last_seen_at, collector.last_address = now, address


def request_address(request) -> str | None:
    """The connection's address (REMOTE_ADDR: X-Forwarded-For could be forged)."""
    import ipaddress

    try:
        return str(ipaddress.ip_address((request.META.get("REMOTE_ADDR") or "").strip()))
    except ValueError:
        return None


def collector_from_request(request, body: bytes) -> Collector:
    return collector_authenticate(
        method=request.method,
        path=request.get_full_path(),
        body=body,
        headers=request.headers,
        address=request_address(request),
    )
