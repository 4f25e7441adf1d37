"""Discovery: sweep the configured address ranges for SNMP printers.

A host is a printer when it answers with Printer-MIB objects. Unknown printers become
"newly discovered" devices of the range's account; a known one (same serial number in
that account) keeps its record, and an address change is recorded.
"""

from __future__ import annotations

import asyncio
import logging

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from fmp.aio import LoopThread
from printers.models import Device, DeviceModel, DiscoveryRange, Manufacturer, PollRun
from printers.services import device_event_record
from printers.snmp.client import SnmpClient
from printers.snmp.normalise import Normalised
from printers.snmp.probe import probe
from printers.snmp.types import SnmpTarget

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
        for host, info in found:
            outcome = discovered_device_record(rng=rng, host=host, info=info)
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
        DiscoveryRange.objects.filter(enabled=True)
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
    run.note = f"{created} new, {updated} moved"
    run.finished_at = timezone.now()
    run.save(update_fields=["devices", "note", "finished_at"])
    return run


@transaction.atomic
def discovered_device_record(*, rng: DiscoveryRange, host: str, info: Normalised) -> str:
    """Create or match one discovered printer. Returns "created", "moved" or "known"."""
    existing = None
    if info.serial:
        existing = (
            Device.objects.select_for_update().filter(account=rng.account, serial_number=info.serial).first()
        )
    if existing is None:
        existing = Device.objects.filter(
            account=rng.account, ip_address=host, snmp_port=rng.snmp_port, serial_number=""
        ).first()
    if existing is not None:
        if str(existing.ip_address) != host or existing.snmp_port != rng.snmp_port:
            old = str(existing.ip_address or "")
            existing.ip_address = host
            existing.snmp_port = rng.snmp_port
            existing.save(update_fields=["ip_address", "snmp_port"])
            device_event_record(device=existing, key="printers.device.address_changed", old=old, new=host)
            return "moved"
        return "known"
    model = None
    if info.model:
        manufacturer, _ = Manufacturer.objects.get_or_create(name=(info.vendor or "Unknown")[:100])
        model = DeviceModel.objects.filter(manufacturer=manufacturer, name__iexact=info.model[:150]).first()
        if model is None:
            model = DeviceModel.objects.create(
                manufacturer=manufacturer,
                name=info.model[:150],
                is_colour=any(s.color in {"cyan", "magenta", "yellow"} for s in info.supplies),
            )
    device = Device.objects.create(
        account=rng.account,
        site=rng.site,
        model=model,
        serial_number=info.serial[:100],
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
