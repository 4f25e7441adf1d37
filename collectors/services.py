"""Writes for site collectors: enrollment, configuration, commands, uploads and health.

The wire protocol is described in ``fmp_collector/PROTOCOL.md``. Everything a collector
sends is untrusted: it is validated whole before anything is stored, and refused with a
:class:`CollectorRefused` that carries the HTTP status, an error code and a readable reason.
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
import logging
import math
import secrets
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Account
from collectors.models import Collector, CollectorBatch, CollectorConflict, CollectorNonce, EnrollmentCode
from fmp.texts import Text, text_fields, text_set
from fmp_collector import protocol
from fmp_snmp.observation import ObservationInvalid, observation_from_dict
from fmp_snmp.traps import TrapInvalid, trap_from_dict
from printers.models import Device, DeviceCommand

logger = logging.getLogger(__name__)
security_logger = logging.getLogger("fmp.security")

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # base32 without the look-alikes I, O, 0, 1
CODE_LENGTH = 20  # 20 characters of 32 = 100 bits
UNRESPONSIVE_CODE = "collector_unresponsive"
STALE_BATCH_AFTER = timedelta(minutes=5)
REVOKED_RESULT = "printers.command.revoked"  # a code of fmp.texts: worded where it is shown


class CollectorRefused(Exception):
    """A collector's request refused: ``status`` (4xx), ``code`` and a readable ``detail``."""

    def __init__(self, status: int, code: str, detail: str) -> None:
        super().__init__(detail)
        self.status, self.code, self.detail = status, code, detail


def _invalid(detail: str) -> CollectorRefused:
    return CollectorRefused(400, "invalid", detail)


# --- enrollment ---------------------------------------------------------------------------


def _code_normal(code: str) -> str:
    return "".join(c for c in code.upper() if c.isalnum())


def _code_digest(code: str) -> str:
    return hashlib.sha256(_code_normal(code).encode()).hexdigest()


def collector_code_issue(*, collector: Collector) -> str:
    """A new one-time enrollment code for ``collector`` (shown once; only its digest is kept).
    It expires after ``FMP_COLLECTOR_CODE_HOURS``; codes issued before stay valid until used
    or expired."""
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    EnrollmentCode.objects.create(
        collector=collector,
        digest=_code_digest(raw),
        expires_at=timezone.now() + timedelta(hours=settings.FMP_COLLECTOR_CODE_HOURS),
    )
    return "-".join(raw[i : i + 4] for i in range(0, CODE_LENGTH, 4))


@transaction.atomic
def collector_create(*, account: Account, name: str, site=None, by=None) -> tuple[Collector, str]:
    """Create a collector for ``account`` (optionally one of its sites) and its first code."""
    if site is not None and site.account_id != account.pk:
        raise ValueError(_("The site is not one of the account's sites."))
    collector = Collector.objects.create(account=account, site=site, name=name, created_by=by)
    return collector, collector_code_issue(collector=collector)


def collector_enroll(
    *, code: str, public_key: str, hostname: str, version: str, address: str | None
) -> Collector:
    """Exchange a one-time code for the collector's credential (its public key).

    A code works once, even when two collectors present it at the same moment (the code's
    row is locked); an unknown, expired or used code, or a revoked collector, is refused.
    """
    try:
        protocol.parse_public_key(public_key)
    except ValueError as exc:
        raise _invalid(str(exc)) from exc
    refused = CollectorRefused(403, "code_refused", "")
    now = timezone.now()
    with transaction.atomic():
        row = (
            EnrollmentCode.objects.select_for_update(of=("self",))
            .select_related("collector")
            .filter(digest=_code_digest(code))
            .first()
        )
        if row is None:
            refused.detail = "unknown enrollment code"
        elif row.used_at is not None:
            refused.detail = "this enrollment code was already used"
        elif row.expires_at <= now:
            refused.detail = "this enrollment code has expired"
        elif row.collector.revoked_at is not None:
            refused.detail = "this collector was revoked"
        if refused.detail:
            raise refused
        row.used_at = now
        row.save(update_fields=["used_at"])
        collector = row.collector
        collector.public_key = public_key
        collector.enrolled_at = now
        collector.hostname = hostname
        collector.version = version
        collector.last_seen_at = now
        collector.last_address = address
        collector.save(
            update_fields=["public_key", "enrolled_at", "hostname", "version", "last_seen_at", "last_address"]
        )
    logger.info("Collector %s (%s) enrolled from %s", collector.uid, collector.name, address)
    return collector


@transaction.atomic
def collector_revoke(*, collector: Collector, by=None) -> bool:
    """Revoke a collector: its next request is a 401 and nothing it sends is stored.
    Its unused codes stop working. False when it was already revoked."""
    now = timezone.now()
    changed = Collector.objects.filter(pk=collector.pk, revoked_at__isnull=True).update(revoked_at=now)
    EnrollmentCode.objects.filter(collector=collector, used_at__isnull=True).update(used_at=now)
    # Nothing it was asked will be answered: its commands expire (the result is translated
    # where it is shown) and the grid stops showing refreshes as pending.
    DeviceCommand.objects.filter(
        collector=collector, status__in=(DeviceCommand.Status.PENDING, DeviceCommand.Status.DELIVERED)
    ).update(
        status=DeviceCommand.Status.EXPIRED,
        completed_at=now,
        **text_fields("result", Text(REVOKED_RESULT)),
    )
    Device.objects.filter(collector=collector, refresh_requested_at__isnull=False).update(
        refresh_requested_at=None
    )
    if changed:
        collector.revoked_at = now
        logger.warning("Collector %s (%s) revoked by %s", collector.uid, collector.name, by)
    return bool(changed)


def collector_nonces_prune() -> int:
    """Forget nonces older than twice the allowed clock skew (a request that old is refused
    by its timestamp anyway)."""
    cutoff = timezone.now() - timedelta(seconds=2 * protocol.MAX_SKEW)
    deleted, _rows = CollectorNonce.objects.filter(seen_at__lt=cutoff).delete()
    return deleted


def collector_batches_prune() -> int:
    """Forget uploads stored or failed more than ``FMP_COLLECTOR_BATCH_RETENTION_DAYS`` ago
    (queued ones are kept until stored). A batch re-sent after its row is gone stores
    nothing twice: its polls are no newer than the devices' last ones and are skipped."""
    cutoff = timezone.now() - timedelta(days=settings.FMP_COLLECTOR_BATCH_RETENTION_DAYS)
    deleted, _rows = (
        CollectorBatch.objects.exclude(status=CollectorBatch.Status.QUEUED)
        .filter(received_at__lt=cutoff)
        .delete()
    )
    return deleted


# --- configuration and commands ------------------------------------------------------------


def _collector_devices(collector: Collector):
    """The collector's devices: assigned to it, of its account (or a sub-account), active."""
    family = Account.objects.descendant_ids(collector.account_id)
    return (
        Device.objects.monitored()
        .filter(collector=collector, account_id__in=family, managed_by_snmp=True)
        .exclude(ip_address__isnull=True, dns_name="")
    )


_DEVICE_FIELDS = (
    "pk",
    "ip_address",
    "dns_name",
    "snmp_port",
    "snmp_version",
    "snmp_community",
    "snmp_v3_user",
    "snmp_v3_auth_protocol",
    "snmp_v3_auth_key",
    "snmp_v3_priv_protocol",
    "snmp_v3_priv_key",
)


def _device_wire(row: tuple, interval: int) -> dict:
    pk, ip, dns, port, version, community, user, auth_protocol, auth_key, priv_protocol, priv_key = row
    wire = {
        "id": pk,
        "host": str(ip or dns),
        "port": port,
        "version": version,
        "community": community,
        "interval": interval,
    }
    if version == "3":  # SNMPv3 devices carry their user and keys instead of a community
        wire.update(
            community="",
            v3={
                "user": user,
                "auth_protocol": auth_protocol,
                "auth_key": auth_key,
                "priv_protocol": priv_protocol,
                "priv_key": priv_key,
            },
        )
    return wire


def collector_config(*, collector: Collector) -> dict:
    """What the collector polls and how often (``config/``), with a digest as its version."""
    devices = [
        _device_wire(row, collector.poll_interval)
        for row in _collector_devices(collector).order_by("pk").values_list(*_DEVICE_FIELDS)
    ]
    ranges = [
        {"id": pk, "cidr": cidr, "port": port, "version": version, "community": community}
        for pk, cidr, port, version, community in collector.discovery_ranges.filter(enabled=True)
        .order_by("pk")
        .values_list("pk", "cidr", "snmp_port", "snmp_version", "snmp_community")
    ]
    config = {
        "collector": {
            "id": str(collector.uid),
            "name": collector.name,
            "account": collector.account_id,
            "site": collector.site_id,
        },
        "intervals": {
            "poll": collector.poll_interval,
            "commands": settings.FMP_COLLECTOR_COMMAND_INTERVAL,
            "heartbeat": settings.FMP_COLLECTOR_HEARTBEAT_INTERVAL,
            "discovery": settings.FMP_COLLECTOR_DISCOVERY_INTERVAL,
        },
        "devices": devices,
        "discovery": ranges,
    }
    digest = hashlib.sha256(json.dumps(config, sort_keys=True, separators=(",", ":")).encode())
    config["version"] = digest.hexdigest()[:32]
    cache.set(_version_key(collector), config["version"], settings.FMP_COLLECTOR_CONFIG_VERSION_SECONDS)
    return config


def _version_key(collector: Collector) -> str:
    return f"fmp:collector:{collector.pk}:config-version"


def collector_config_version(*, collector: Collector) -> str:
    """The version ``commands/`` and ``heartbeat/`` answer: the one computed at most
    ``FMP_COLLECTOR_CONFIG_VERSION_SECONDS`` ago (a change of the collector's devices or ranges
    reaches it within that time), so that the frequent "nothing new" answer does not rebuild
    the configuration on every ask."""
    cached = cache.get(_version_key(collector)) if settings.FMP_COLLECTOR_CONFIG_VERSION_SECONDS else None
    return cached or collector_config(collector=collector)["version"]


def collector_commands_take(*, collector: Collector) -> list[DeviceCommand]:
    """The collector's pending commands, now marked delivered (each delivered once, even to
    two requests at the same moment: the rows are claimed in one statement); delivered ones
    not answered within ``FMP_COLLECTOR_COMMAND_EXPIRY`` expire. Two queries when there is
    nothing (the collector asks every few seconds)."""
    from django.db import connection

    now = timezone.now()
    table = DeviceCommand._meta.db_table
    S = DeviceCommand.Status
    # PostgreSQL: concurrent requests skip each other's rows. SQLite (the demo) has no row
    # locks and needs none: its writers take turns (BEGIN IMMEDIATE).
    skip = " FOR UPDATE SKIP LOCKED" if connection.features.has_select_for_update_skip_locked else ""
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET status = %s, completed_at = %s "  # noqa: S608
            "WHERE collector_id = %s AND status = %s AND delivered_at < %s RETURNING device_id, kind",
            [
                S.EXPIRED,
                now,
                collector.pk,
                S.DELIVERED,
                now - timedelta(seconds=settings.FMP_COLLECTOR_COMMAND_EXPIRY),
            ],
        )
        refreshes = [device for device, kind in cursor.fetchall() if kind == DeviceCommand.Kind.REFRESH]
        cursor.execute(
            f"UPDATE {table} SET status = %s, delivered_at = %s WHERE id IN ("  # noqa: S608
            f"SELECT id FROM {table} WHERE collector_id = %s AND status = %s "
            f"ORDER BY created_at, id LIMIT %s{skip}) "
            "RETURNING id, device_id, kind, args, created_at",
            [S.DELIVERED, now, collector.pk, S.PENDING, protocol.MAX_BATCH],
        )
        rows = cursor.fetchall()
    if refreshes:
        # No fresh status will come: the grid stops showing the request as pending.
        Device.objects.filter(pk__in=refreshes).update(refresh_requested_at=None)
    commands = [
        DeviceCommand(
            pk=pk,
            device_id=device_id,
            collector=collector,
            kind=kind,
            args=json.loads(args) if isinstance(args, str) else args,
            status=S.DELIVERED,
            delivered_at=now,
            created_at=created_at,
        )
        for pk, device_id, kind, args, created_at in rows
    ]
    return sorted(commands, key=lambda c: (c.created_at, c.pk))


def command_wire(command: DeviceCommand) -> dict:
    return {"id": command.pk, "device": command.device_id, "kind": command.kind, "args": command.args}


def collector_command_complete(*, collector: Collector, command_id: int, body) -> DeviceCommand:
    """The collector's answer to one of its commands: the result is recorded on the command
    and, as for the central actions, in the device's events. Another collector's command
    is a 404; an answer to a command already answered changes nothing."""
    from printers.services import device_event_record

    if not isinstance(body, dict):
        raise _invalid("an object is expected")
    unknown = set(body) - {"ok", "detail", "result"}
    if unknown:
        raise _invalid(f"unknown field {sorted(unknown)[0]}")
    ok = body.get("ok")
    if not isinstance(ok, bool):
        raise _invalid("ok: true or false is expected")
    detail = body.get("detail", "")
    if not isinstance(detail, str) or len(detail) > 500 or "\x00" in detail:
        raise _invalid("detail: a string of at most 500 characters is expected")
    result = body.get("result")
    result = {} if result is None else result
    if not isinstance(result, dict):
        raise _invalid("result: an object is expected")
    with transaction.atomic():
        command = (
            DeviceCommand.objects.select_for_update(of=("self",))
            .select_related("device", "created_by")
            .filter(pk=command_id, collector=collector)
            .first()
        )
        if command is None:
            raise CollectorRefused(404, "not_found", "no such command for this collector")
        if command.kind == DeviceCommand.Kind.LOCATION and ok:
            location = result.get("location", command.args.get("location", ""))
            if not isinstance(location, str) or len(location) > 255 or "\x00" in location:
                raise _invalid("result.location: a string of at most 255 characters is expected")
        if command.status in (DeviceCommand.Status.DONE, DeviceCommand.Status.FAILED):
            return command  # already answered (the collector did not hear our answer)
        command.status = DeviceCommand.Status.DONE if ok else DeviceCommand.Status.FAILED
        command.completed_at = timezone.now()
        device, user = command.device, command.created_by
        # Worded by the portal (a code, read in each reader's language: fmp.texts); the
        # collector's own (English) text is technical detail for the help desk only (the
        # log and the event's data).
        failure = None if ok else command_failure(kind=command.kind, detail=detail, result=result)
        if detail and not ok:
            logger.info("Collector %s: command %s failed: %s", collector.uid, command.pk, detail)
        text_set(command, "result", failure or "", max_length=500)
        command.save(update_fields=["status", "completed_at", "result", "result_code"])
        if command.kind == DeviceCommand.Kind.LOCATION and ok:
            device.printer_location = location
            device.save(update_fields=["printer_location"])
        elif command.kind == DeviceCommand.Kind.RESET:
            if ok:
                device_event_record(device=device, key="printers.device.reset", user=user)
            else:
                device_event_record(
                    device=device,
                    key="printers.device.reset_failed",
                    user=user,
                    error=failure.as_json(),
                    technical=detail[:200],
                )
        elif command.kind == DeviceCommand.Kind.TEST_PAGE and ok:
            device_event_record(device=device, key="printers.device.test_page", user=user)
        elif command.kind == DeviceCommand.Kind.REFRESH and not ok:
            # No fresh status will come: the grid stops showing the request as pending.
            Device.objects.filter(pk=device.pk).update(refresh_requested_at=None)
    return command


def command_failure(*, kind: str, detail: str, result: dict) -> Text:
    """Why a collector's command failed, as the portal words it (a code of fmp.texts, read
    in each reader's language) from the structured ``result`` the collector sends
    (``fmp_collector/PROTOCOL.md``): a raw print's ``stage`` and ``port``, the agent's
    ``snmp_status``; the collector's English ``detail`` is never shown as it is."""
    from fmp_snmp.types import RawPrintError, SnmpResponseError

    stage, port, status = result.get("stage"), result.get("port"), result.get("snmp_status")
    valid_port = isinstance(port, int) and not isinstance(port, bool) and 0 < port < 65536
    if kind == DeviceCommand.Kind.TEST_PAGE and stage in ("connect", "send") and valid_port:
        reason = result.get("reason") if result.get("reason") in RawPrintError.REASONS else "other"
        return Text("printers.command.raw_print", stage=stage, port=port, reason=reason)
    if isinstance(status, int) and not isinstance(status, bool) and 0 < status < 1000:
        return Text("printers.command.refused", status=SnmpResponseError.NAMES.get(status, str(status)))
    return Text("printers.command.failed")


def command_failure_text(*, kind: str, detail: str, result: dict) -> str:
    """``command_failure`` worded in the active language."""
    return str(command_failure(kind=kind, detail=detail, result=result))


# --- health ---------------------------------------------------------------------------------

_HEARTBEAT_TEXTS = {"version": 50, "hostname": 255, "last_error": 500}
_HEARTBEAT_NUMBERS = {
    "queue_depth": 2**31 - 1,
    "devices_polled": 2**31 - 1,
    "dropped": 2**63 - 1,
    "traps_unknown": 2**63 - 1,
}


def collector_heartbeat(*, collector: Collector, data) -> None:
    """Store what the collector says of itself (version, host, queue, drops, last error)."""
    if not isinstance(data, dict):
        raise _invalid("an object is expected")
    unknown = set(data) - set(_HEARTBEAT_TEXTS) - set(_HEARTBEAT_NUMBERS)
    if unknown:
        raise _invalid(f"unknown field {sorted(unknown)[0]}")
    fields = {}
    for name, limit in _HEARTBEAT_TEXTS.items():
        if name in data:
            value = data[name]
            if value is None:
                value = ""
            if not isinstance(value, str) or len(value) > limit or "\x00" in value:
                raise _invalid(f"{name}: a string of at most {limit} characters is expected")
            fields[name] = value
    for name, limit in _HEARTBEAT_NUMBERS.items():
        if name in data:
            value = data[name]
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= limit:
                raise _invalid(f"{name}: an integer from 0 to {limit} is expected")
            fields[name] = value
    if fields:
        Collector.objects.filter(pk=collector.pk).update(**fields)
        for name, value in fields.items():
            setattr(collector, name, value)


def _ticket_reference(collector: Collector) -> str:
    return f"collector:{collector.uid}"


def collectors_health_check(*, now: datetime | None = None) -> int:
    """Beat: an enrolled collector silent for longer than ``FMP_COLLECTOR_UNRESPONSIVE_MINUTES``
    is marked unresponsive and the help desk gets one ticket on its account (whatever the
    number of runs); it is closed when the collector contacts the portal again. Returns the
    number of collectors newly marked."""
    now = now or timezone.now()
    cutoff = now - timedelta(minutes=settings.FMP_COLLECTOR_UNRESPONSIVE_MINUTES)
    marked = 0
    inactive = Account.objects.inactive_ids()  # an inactive customer gets no automatic tickets
    for collector in (
        Collector.objects.filter(
            enrolled_at__isnull=False,
            revoked_at__isnull=True,
            unresponsive_since__isnull=True,
            last_seen_at__lt=cutoff,
        )
        .exclude(account_id__in=inactive)
        .select_related("account", "site")
    ):
        with transaction.atomic():
            # Claimed: two health checks at once open one ticket.
            if not Collector.objects.filter(
                pk=collector.pk, unresponsive_since__isnull=True, last_seen_at__lt=cutoff
            ).update(unresponsive_since=now):
                continue
            _unresponsive_ticket_open(collector)
            marked += 1
    return marked


def _unresponsive_ticket_open(collector: Collector) -> None:
    from fmp.numbers import create_numbered
    from fmp.texts import Text, text_fields
    from tickets.choices import EventKind, TicketOrigin
    from tickets.models import ServiceType, Ticket, TicketEvent
    from tickets.services import AUTOMATIC_SERVICE, ticket_number_new

    names = {"name": collector.name}
    # Stored as codes: each reader reads them in their language and time zone (fmp.texts).
    summary = Text("tickets.collector.unresponsive.summary", **names)
    description = Text(
        "tickets.collector.unresponsive.description",
        **names,
        host=collector.hostname or "?",
        uid=str(collector.uid),
        last=collector.last_seen_at or "?",
    )
    ticket = create_numbered(
        Ticket,
        ticket_number_new,
        account_id=collector.account_id,
        site_id=collector.site_id,
        service=ServiceType.objects.filter(code=AUTOMATIC_SERVICE).first(),
        **text_fields("summary", summary, max_length=200),
        **text_fields("description", description),
        occurred_at=collector.last_seen_at or timezone.now(),
        origin=TicketOrigin.MONITORING,
        condition_code=UNRESPONSIVE_CODE,
        source_reference=_ticket_reference(collector),
    )
    TicketEvent.objects.create(ticket=ticket, kind=EventKind.CREATED, new_state=ticket.state)
    logger.warning("Collector %s (%s) unresponsive: ticket %s", collector.uid, collector.name, ticket.number)


def collector_returned(*, collector: Collector) -> bool:
    """A collector marked unresponsive contacted the portal: clear the mark, note it on its
    ticket and close the ticket unless the help desk already handles it."""
    from tickets.choices import OPEN_STATES, EventKind, TicketOrigin, TicketState
    from tickets.models import Ticket, TicketEvent
    from tickets.services import ticket_state_change

    with transaction.atomic():
        if not Collector.objects.filter(pk=collector.pk, unresponsive_since__isnull=False).update(
            unresponsive_since=None
        ):
            collector.unresponsive_since = None
            return False
        collector.unresponsive_since = None
        for ticket in Ticket.objects.filter(
            account_id=collector.account_id,
            origin=TicketOrigin.MONITORING,
            condition_code=UNRESPONSIVE_CODE,
            source_reference=_ticket_reference(collector),
            state__in=OPEN_STATES,
        ):
            TicketEvent.objects.create(ticket=ticket, kind=EventKind.CONDITION_CLEARED, public=True)
            if settings.FMP_TICKET_AUTOCLOSE and not ticket.helpdesk_touched:
                ticket_state_change(ticket=ticket, state=TicketState.DONE, notify=False)
    logger.info("Collector %s (%s) is back", collector.uid, collector.name)
    return True


# --- results --------------------------------------------------------------------------------


def _number(value, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise _invalid(f"{name}: a number is expected")
    return float(value)


def _at(value, name: str, now: float) -> float:
    at = _number(value, name)
    oldest = now - settings.FMP_COLLECTOR_MAX_AGE_DAYS * 86400
    if at > now + protocol.MAX_SKEW:
        raise _invalid(f"{name}: in the future")
    if at < oldest:
        raise _invalid(f"{name}: older than {settings.FMP_COLLECTOR_MAX_AGE_DAYS} days")
    return at


def _observation(value, name: str):
    try:
        return observation_from_dict(value)
    except ObservationInvalid as exc:
        raise _invalid(f"{name}: {exc}") from exc


def _fields(item, name: str, required: set[str], optional: set[str] = frozenset()) -> None:
    if not isinstance(item, dict):
        raise _invalid(f"{name}: an object is expected")
    unknown = set(item) - required - optional
    if unknown:
        raise _invalid(f"{name}: unknown field {sorted(unknown)[0]}")
    missing = required - set(item)
    if missing:
        raise _invalid(f"{name}.{sorted(missing)[0]}: missing")


def _batch_validate(body) -> tuple[uuid.UUID, list[dict], list[dict], list[dict]]:
    """The whole batch checked, item by item; the first error refuses it (400)."""
    now = timezone.now().timestamp()
    _fields(body, "batch", {"batch"}, {"observations", "discovered", "traps"})
    if not isinstance(body["batch"], str):
        raise _invalid("batch: a UUID is expected")
    try:
        batch_id = uuid.UUID(body["batch"])
    except ValueError as exc:
        raise _invalid("batch: a UUID is expected") from exc
    observations, discovered = body.get("observations", []), body.get("discovered", [])
    traps = body.get("traps", [])
    if not isinstance(observations, list) or not isinstance(discovered, list) or not isinstance(traps, list):
        raise _invalid("observations, discovered and traps: lists are expected")
    if len(observations) + len(discovered) + len(traps) > protocol.MAX_BATCH:
        raise _invalid(f"too many items: at most {protocol.MAX_BATCH} in one batch")
    for n, item in enumerate(observations):
        name = f"observations[{n}]"
        _fields(item, name, {"device", "at", "observation"})
        device = item["device"]
        if isinstance(device, bool) or not isinstance(device, int) or not 0 < device < 2**63:
            raise _invalid(f"{name}.device: a device id is expected")
        _at(item["at"], f"{name}.at", now)
        _observation(item["observation"], f"{name}.observation")
    for n, item in enumerate(discovered):
        name = f"discovered[{n}]"
        _fields(item, name, {"host", "port", "version", "community", "at", "observation"}, {"range"})
        host = item["host"]
        try:
            if not isinstance(host, str) or len(host) > 45:
                raise ValueError
            ipaddress.ip_address(host)
        except ValueError as exc:
            raise _invalid(f"{name}.host: an IP address is expected") from exc
        port = item["port"]
        if isinstance(port, bool) or not isinstance(port, int) or not 1 <= port <= 65535:
            raise _invalid(f"{name}.port: a port from 1 to 65535 is expected")
        if item["version"] not in ("1", "2c"):
            raise _invalid(f"{name}.version: 1 or 2c is expected")
        community = item["community"]
        if not isinstance(community, str) or len(community) > 100 or "\x00" in community:
            raise _invalid(f"{name}.community: a string of at most 100 characters is expected")
        rng = item.get("range")
        if rng is not None and (isinstance(rng, bool) or not isinstance(rng, int) or not 0 < rng < 2**63):
            raise _invalid(f"{name}.range: a range id is expected")
        _at(item["at"], f"{name}.at", now)
        _observation(item["observation"], f"{name}.observation")
    for n, item in enumerate(traps):
        name = f"traps[{n}]"
        _fields(item, name, {"device", "at", "source", "trap"})
        device = item["device"]
        if isinstance(device, bool) or not isinstance(device, int) or not 0 < device < 2**63:
            raise _invalid(f"{name}.device: a device id is expected")
        source = item["source"]
        try:
            if not isinstance(source, str) or len(source) > 45:
                raise ValueError
            ipaddress.ip_address(source)
        except ValueError as exc:
            raise _invalid(f"{name}.source: an IP address is expected") from exc
        _at(item["at"], f"{name}.at", now)
        try:
            trap_from_dict(item["trap"])
        except TrapInvalid as exc:
            raise _invalid(f"{name}.{exc}") from exc
    return batch_id, observations, discovered, traps


def _conflict_record(collector: Collector, device_ids: set[int]) -> None:
    for device_id in sorted(device_ids):
        CollectorConflict.objects.get_or_create(collector=collector, device_id=device_id)
    CollectorConflict.objects.filter(collector=collector, device_id__in=device_ids).update(
        reports=F("reports") + 1, last_seen_at=timezone.now()
    )


def collector_batch_accept(*, collector: Collector, body, enqueue: Callable[[int], None]) -> tuple[int, dict]:
    """Validate one upload whole, then keep it for a worker (``enqueue(batch pk)`` runs once
    the row is committed). Returns the HTTP status and the answer.

    An item about a device that is not this collector's is ignored and listed in
    ``ignored``, the same answer whatever the reason (another account, another collector,
    central, an unknown or deleted id, an inactive account): the answer tells nothing of
    other accounts' devices, and one such device does not refuse the collector's other
    results. Another account's device is logged as a security warning; a device of its
    account that another collector owns, or that is polled centrally, is recorded as a
    conflict. A batch id already received stores nothing new.
    """
    batch_id, observations, discovered, traps = _batch_validate(body)
    if CollectorBatch.objects.filter(collector=collector, batch_id=batch_id).exists():
        return 200, {"batch": str(batch_id), "duplicate": True}
    ids = {item["device"] for item in observations} | {item["device"] for item in traps}
    devices = {
        pk: (account_id, collector_id)
        for pk, account_id, collector_id in Device.objects.filter(pk__in=ids).values_list(
            "pk", "account_id", "collector_id"
        )
    }
    family = Account.objects.descendant_ids(collector.account_id)
    foreign = sorted(pk for pk, (account_id, _c) in devices.items() if account_id not in family)
    if foreign:
        security_logger.warning(
            "Collector %s (%s, account %s) reported device(s) %s of another account in batch %s: "
            "ignored, nothing stored",
            collector.uid,
            collector.name,
            collector.account_id,
            foreign,
            batch_id,
        )
    inactive = Account.objects.inactive_ids()
    conflicts = {
        pk
        for pk, (account_id, owner) in devices.items()
        if owner != collector.pk and account_id in family and account_id not in inactive
    }
    ignored = sorted(
        {pk for pk in ids if pk not in devices or devices[pk][0] in inactive or devices[pk][0] not in family}
        | conflicts
    )
    accepted = [item for item in observations if item["device"] not in set(ignored)]
    accepted_traps = [item for item in traps if item["device"] not in set(ignored)]
    found, ignored_found = _discovered_in_ranges(collector, discovered, batch_id)
    discovered = [discovered[n] for n in found]
    try:
        with transaction.atomic():
            if conflicts:
                _conflict_record(collector, conflicts)
            batch = CollectorBatch.objects.create(
                collector=collector,
                batch_id=batch_id,
                observations=len(accepted) + len(discovered),
                payload={"observations": accepted, "discovered": discovered, "traps": accepted_traps},
                status=CollectorBatch.Status.QUEUED,
            )
    except IntegrityError:  # the same batch, sent twice at the same moment
        return 200, {"batch": str(batch_id), "duplicate": True}
    transaction.on_commit(lambda: enqueue(batch.pk))
    return 202, {
        "batch": str(batch_id),
        "accepted": len(accepted) + len(discovered) + len(accepted_traps),
        "ignored": ignored,
        "ignored_discovered": ignored_found,
    }


def _discovered_in_ranges(
    collector: Collector, discovered: list[dict], batch_id
) -> tuple[list[int], list[int]]:
    """The indexes of the discovered items that may become devices, and of those ignored: a
    discovered printer must name an enabled discovery range of this collector, lie in its
    addresses and have been asked with its port, version and community (a collector cannot
    create devices anywhere else)."""
    if not discovered:
        return [], []
    ranges = {}
    for rng in collector.discovery_ranges.filter(enabled=True):
        try:
            ranges[rng.pk] = (rng.network(), rng.snmp_port, rng.snmp_version, rng.snmp_community)
        except ValueError:
            continue
    kept, ignored = [], []
    for n, item in enumerate(discovered):
        rng = ranges.get(item.get("range"))
        if (
            rng is not None
            and ipaddress.ip_address(item["host"]) in rng[0]
            and (item["port"], item["version"], item["community"]) == rng[1:]
        ):
            kept.append(n)
        else:
            ignored.append(n)
    if ignored:
        security_logger.warning(
            "Collector %s (%s) reported discovered printer(s) outside its discovery ranges in batch %s: "
            "%s ignored",
            collector.uid,
            collector.name,
            batch_id,
            [discovered[n]["host"] for n in ignored][:20],
        )
    return kept, ignored


def _when(at: float) -> datetime:
    return datetime.fromtimestamp(at, tz=UTC)


def collector_batch_store(*, batch_id: int) -> bool:
    """Store one accepted upload through the central poller's path, at the collector's poll
    times. Idempotent: a batch stored is not stored again, and an observation no newer than
    the device's last stored attempt is skipped. False when there was nothing to do.

    A collector's uploads are stored in the order they were received, whichever worker
    gets which task first: under a per-collector lock, its queued uploads up to and
    including this one are stored oldest first (a later task for one of them is a no-op).
    Otherwise a newer upload stored first would make the older one's polls look stale and
    they would be skipped: its levels, counters and meter reads lost.

    A batch of a collector revoked since it was received is not stored (a revoked key may be
    a stolen one). A batch that cannot be stored for another reason than the database being
    unavailable is marked failed with the reason (for the help desk), not retried forever;
    its payload is cleared either way.
    """
    from django.db import InterfaceError, OperationalError

    target = CollectorBatch.objects.filter(pk=batch_id).values_list("collector_id", "status").first()
    if target is None or target[1] != CollectorBatch.Status.QUEUED:
        return False
    collector_id = target[0]
    try:
        with transaction.atomic():
            _collector_lock(collector_id)  # waits for another worker storing this collector's
            batches = list(
                CollectorBatch.objects.select_for_update(of=("self",))
                .select_related("collector__account", "collector__site")
                .filter(collector_id=collector_id, pk__lte=batch_id, status=CollectorBatch.Status.QUEUED)
                .order_by("pk")
            )
            if batch_id not in {b.pk for b in batches}:
                return False  # stored meanwhile, with an older one
            for batch in batches:
                _batch_store_one(batch)
        return True
    except (OperationalError, InterfaceError):
        raise  # the database is away: the batches stay queued and are queued again by beat


def _collector_lock(collector_id: int) -> None:
    """Wait for, then hold until the transaction ends, the lock of this collector's uploads.
    SQLite (the demo) needs none: its writers take turns."""
    from django.db import connection

    from fmp.db import advisory_lock_key

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_advisory_xact_lock(%s)", [advisory_lock_key(f"collector-batches-{collector_id}")]
            )


def _batch_store_one(batch: CollectorBatch) -> None:
    from django.db import DatabaseError, InterfaceError, OperationalError

    try:
        with transaction.atomic():
            if batch.collector.revoked_at is not None:
                batch.status = CollectorBatch.Status.FAILED
                error = "the collector was revoked before this upload was stored"
            else:
                batch.status = CollectorBatch.Status.STORED
                error = _batch_outcomes_store(batch)
            batch.error = error[:500]
    except (OperationalError, InterfaceError):
        raise
    except (DatabaseError, ValueError, KeyError, TypeError) as exc:
        logger.exception("Collector upload %s could not be stored", batch.pk)
        batch.status = CollectorBatch.Status.FAILED
        batch.error = f"{exc.__class__.__name__}: {exc}"[:500]
    batch.stored_at = timezone.now()
    batch.payload = {}
    batch.save(update_fields=["status", "stored_at", "payload", "error"])


def _batch_outcomes_store(batch: CollectorBatch) -> str:
    """Store the batch's observations and discovered printers; returns the poll warnings."""
    from printers.services import PollOutcome, observations_store

    collector = batch.collector
    items = batch.payload.get("observations", [])
    devices = {
        d.pk: d
        for d in Device.objects.monitored()
        .filter(pk__in={i["device"] for i in items}, collector=collector)
        .select_related("model__manufacturer", "state")
    }
    outcomes = []
    for item in items:
        device = devices.get(item["device"])
        if device is not None:
            outcomes.append(
                PollOutcome(device, observation_from_dict(item["observation"]), _when(item["at"]))
            )
    for item in batch.payload.get("discovered", []):
        outcome = _discovered_record(collector, item)
        if outcome is not None:
            outcomes.append(outcome)
    last = {o.device.pk: _last_attempt(o.device) for o in outcomes}
    fresh = [o for o in outcomes if last[o.device.pk] is None or o.at > last[o.device.pk]]
    warnings: list[str] = []
    observations_store(outcomes=fresh, warnings=warnings)
    _batch_traps_record(collector, batch.payload.get("traps", []))
    return "; ".join(warnings)


def _batch_traps_record(collector: Collector, items: list[dict]) -> None:
    """The traps the collector received from its devices, recorded as the central
    receiver's are (the collector has already polled each device to confirm)."""
    from printers.traps import traps_record

    if not items:
        return
    mine = set(
        Device.objects.monitored()
        .filter(pk__in={i["device"] for i in items}, collector=collector)
        .values_list("pk", flat=True)
    )
    traps_record(
        [
            (item["device"], trap_from_dict(item["trap"]), item["source"], _when(item["at"]))
            for item in items
            if item["device"] in mine
        ]
    )


def _last_attempt(device: Device) -> datetime | None:
    try:
        return device.state.last_attempt_at
    except Device.state.RelatedObjectDoesNotExist:
        return None


def _discovered_record(collector: Collector, item: dict):
    """A printer the collector's sweep found: one of the account's devices (same serial, or
    same address without a serial) or a new, newly discovered device polled by this
    collector. A serial that another collector (or the central poller) owns is a conflict,
    never a second device. Returns the outcome to store, or None."""
    from printers.discovery import (
        account_family_ids,
        device_address_match,
        device_known_by_serial,
        device_model_for,
    )
    from printers.services import PollOutcome, device_event_record

    observation = observation_from_dict(item["observation"])
    host, port = item["host"], item["port"]
    family = account_family_ids(collector.account_id)
    known = device_known_by_serial(family, observation.serial)
    if known is None:
        known = Device.objects.filter(
            account_id__in=family, collector=collector, ip_address=host, snmp_port=port, serial_number=""
        ).first()
    if known is not None and known.collector_id != collector.pk:
        _conflict_record(collector, {known.pk})
        return None
    if known is not None:
        device_address_match(
            account_id=collector.account_id,
            serial=observation.serial,
            host=host,
            port=port,
            collector_id=collector.pk,
        )
        device = Device.objects.select_related("model__manufacturer", "state").get(pk=known.pk)
        return PollOutcome(device, observation, _when(item["at"]))
    if not observation.reachable:
        return None
    colour = any(s.colour in {"cyan", "magenta", "yellow"} for s in observation.supplies)
    model = device_model_for(vendor=observation.vendor, model=observation.model, colour=colour)
    device = Device.objects.create(
        account=collector.account,
        site=collector.site,
        collector=collector,
        model=model,
        serial_number=observation.serial.strip()[:100],
        ip_address=host,
        snmp_port=port,
        snmp_version=item["version"],
        snmp_community=item["community"],
        system_name=observation.sys_name[:255],
        printer_location=observation.location[:255],
        discovered_at=timezone.now(),
        newly_discovered=True,
        under_contract=False,
    )
    device_event_record(
        device=device, key="printers.device.discovered", address=host, collector=collector.name
    )
    device = Device.objects.select_related("model__manufacturer").get(pk=device.pk)
    return PollOutcome(device, observation, _when(item["at"]))


def collector_batches_requeue(
    *, enqueue: Callable[[int], None], older_than: timedelta = STALE_BATCH_AFTER
) -> int:
    """Beat: uploads still queued a while after they came (their worker died, or the broker
    lost the task) are queued again; storing is idempotent."""
    ids = list(
        CollectorBatch.objects.filter(
            status=CollectorBatch.Status.QUEUED, received_at__lt=timezone.now() - older_than
        ).values_list("pk", flat=True)[:1000]
    )
    for pk in ids:
        enqueue(pk)
    return len(ids)
