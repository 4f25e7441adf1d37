"""Discovery: sweep the configured address ranges for SNMP printers.

A host is a printer when it answers with Printer-MIB objects. Unknown printers become
"newly discovered" devices of the range's account; a known one (same serial number, case
and surrounding spaces aside, anywhere in the customer's account tree) keeps its record,
and an address change is recorded.
"""

from __future__ import annotations

import asyncio
import logging

from django.conf import settings
from django.db import transaction
from django.db.models.functions import Trim, Upper
from django.utils import timezone

from fmp.texts import Text, text_set
from fmp_snmp.aio import LoopThread
from fmp_snmp.client import SnmpClient
from fmp_snmp.normalise import Normalised
from fmp_snmp.observation import serial_key
from fmp_snmp.probe import probe
from fmp_snmp.types import SnmpTarget
from printers.models import Device, DeviceModel, DiscoveryRange, Manufacturer, PollRun
from printers.services import device_event_record

logger = logging.getLogger(__name__)


def _hosts(rng: DiscoveryRange) -> list[str]:
    network = rng.network()
    return [str(h) for h in (list(network.hosts()) or [network.network_address])]


async def _sweep(client: SnmpClient, rng: DiscoveryRange) -> list[tuple[str, Normalised]]:
    semaphore = asyncio.Semaphore(settings.FMP_POLL_CONCURRENCY)

    async def one(host: str):
        target = SnmpTarget(
            host=host,
            port=rng.snmp_port,
            version=rng.snmp_version,
            community=rng.snmp_community,
            timeout=settings.FMP_DISCOVERY_TIMEOUT,
            retries=0,
        )
        async with semaphore:
            result = await probe(client, target, budget=settings.FMP_POLL_DEVICE_BUDGET)
        if result.ok and result.normalised and result.normalised.is_printer:
            return host, result.normalised
        return None

    found = await asyncio.gather(*(one(h) for h in _hosts(rng)))
    return [f for f in found if f]


def _sweep_ranges(runner, client, ranges) -> tuple[int, int]:
    created = updated = 0
    for rng in ranges:
        problem = rng.problem()
        if problem:
            rng.last_outcome = {"error": problem}
            rng.last_run_at = timezone.now()
            rng.save(update_fields=["last_outcome", "last_run_at"])
            continue
        found = runner.run(_sweep(client, rng))
        new, moved = 0, 0
        family = account_family_ids(rng.account_id) if found else set()  # once per range
        for host, info in found:
            outcome = discovered_device_record(rng=rng, host=host, info=info, family=family)
            new += outcome == "created"
            moved += outcome == "moved"
        created += new
        updated += moved
        rng.last_run_at = timezone.now()
        rng.last_outcome = {"answered": len(found), "new": new, "moved": moved}
        rng.save(update_fields=["last_outcome", "last_run_at"])
    return created, updated


def discovery_run(*, range_ids: list[int] | None = None) -> PollRun:
    run = PollRun.objects.create(kind="discovery")
    from accounts.models import Account

    ranges = (
        # A range of a site collector is swept by that collector, on its own network.
        DiscoveryRange.objects.filter(enabled=True, collector__isnull=True)
        .exclude(account_id__in=Account.objects.inactive_ids())
        .select_related("account", "site")
    )
    if range_ids is not None:
        ranges = ranges.filter(pk__in=range_ids)
    with LoopThread() as runner:
        client = SnmpClient()
        try:
            created, updated = _sweep_ranges(runner, client, ranges)
        finally:
            runner.run(client.aclose())
    run.devices = created + updated
    text_set(run, "note", Text("printers.run.discovery", new=created, moved=updated))
    run.finished_at = timezone.now()
    run.save(update_fields=["devices", "note", "note_code", "finished_at"])
    return run


def account_family_ids(account_id: int) -> set[int]:
    """The customer an account belongs to: its top account and every sub-account under it.
    A printer is matched within this family only, never across customers."""
    from accounts.models import Account

    account = Account.objects.select_related("parent__parent").get(pk=account_id)
    *_, root = account.lineage()
    return Account.objects.descendant_ids(root.pk)


def device_known_by_serial(
    account_ids: set[int], serial: str, *, exclude_pk: int | None = None
) -> Device | None:
    """The device of these accounts with this serial (case and surrounding spaces aside)."""
    key = serial_key(serial)
    if not key:
        return None
    qs = (
        Device.objects.select_for_update(of=("self",))
        .annotate(serial_key=Upper(Trim("serial_number")))
        .filter(account_id__in=account_ids, serial_key=key)
    )
    if exclude_pk is not None:
        qs = qs.exclude(pk=exclude_pk)
    return qs.order_by("pk").first()


def _readdress(device: Device, host: str, port: int) -> bool:
    """Give ``device`` the address it answered at; False when it already had it."""
    if str(device.ip_address or "") == host and device.snmp_port == port:
        return False
    old = str(device.ip_address or "")
    device.ip_address = host
    device.snmp_port = port
    device.save(update_fields=["ip_address", "snmp_port"])
    device_event_record(device=device, key="printers.device.address_changed", old=old, new=host)
    return True


@transaction.atomic
def device_address_match(
    *, account_id: int, serial: str, host: str, port: int, collector_id: int | None, exclude_pk=None
) -> Device | None:
    """A printer answered with ``serial`` at ``host``:``port`` (seen by a sweep, or by the
    poller at another device's address): the customer's known device with that serial takes
    the address. Returns the device that moved, None when none is known or it was there.

    Only a device of the same poller moves: ``collector_id`` is the collector that saw the
    answer (None: the central poller). A collector's network is not the central poller's
    nor another collector's: an address seen there says nothing about where a device polled
    by someone else lives (and moving it would send its SNMP credentials to that address).
    """
    known = device_known_by_serial(account_family_ids(account_id), serial, exclude_pk=exclude_pk)
    if known is not None and known.collector_id == collector_id and _readdress(known, host, port):
        return known
    return None


def device_model_for(*, vendor: str, model: str, colour: bool) -> DeviceModel | None:
    """The catalogue's model of a printer that answered with this maker and model (created
    the first time one is seen), or None when it named no model."""
    if not model:
        return None
    manufacturer, _ = Manufacturer.objects.get_or_create(name=(vendor or "Unknown")[:100])
    found = DeviceModel.objects.filter(manufacturer=manufacturer, name__iexact=model[:150]).first()
    return found or DeviceModel.objects.create(manufacturer=manufacturer, name=model[:150], is_colour=colour)


@transaction.atomic
def discovered_device_record(
    *, rng: DiscoveryRange, host: str, info: Normalised, family: set[int] | None = None
) -> str:
    """Create or match one discovered printer. Returns "created", "moved" or "known".

    A printer is known when a device of the range's customer (the range's account, its
    parent and every sub-account) has its serial, or, for one that reports none, when a
    device of the range's account without a serial has this address.
    """
    if family is None:
        family = account_family_ids(rng.account_id)
    existing = device_known_by_serial(family, info.serial)
    if existing is None:
        existing = Device.objects.filter(
            account_id__in=family, ip_address=host, snmp_port=rng.snmp_port, serial_number=""
        ).first()
    if existing is not None:
        if existing.collector_id != rng.collector_id:
            return "known"  # polled by a site collector: an address seen here is not its own
        return "moved" if _readdress(existing, host, rng.snmp_port) else "known"
    colour = any(s.color in {"cyan", "magenta", "yellow"} for s in info.supplies)
    model = device_model_for(vendor=info.vendor, model=info.model, colour=colour)
    device = Device.objects.create(
        account=rng.account,
        site=rng.site,
        model=model,
        serial_number=info.serial.strip()[:100],
        ip_address=host,
        snmp_port=rng.snmp_port,
        snmp_version=rng.snmp_version,
        snmp_community=rng.snmp_community,
        system_name=info.sys_name[:255],
        printer_location=info.location[:255],
        discovered_at=timezone.now(),
        newly_discovered=True,
        under_contract=False,
    )
    device_event_record(device=device, key="printers.device.discovered", address=host)
    return "created"
