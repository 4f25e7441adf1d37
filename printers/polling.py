"""The poller: claims devices, polls them concurrently in one asyncio loop, stores the results.

Runs inside a Celery task (``printers.tasks``) or the ``poll_fleet`` command; devices of a
site collector are left to their collector (``collectors``). Devices are
claimed in batches with ``SELECT ... FOR UPDATE SKIP LOCKED`` and a lease, so two workers
never poll the same device at once; a redelivered task (same token) takes its own claims
back, and a run holds an advisory lock on its token so that a second delivery of a run
still going (or already finished) polls nothing. Results go through
``devices_record_observations`` (idempotent), then conditions.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from fmp.db import advisory_lock
from fmp.texts import Text, text_set
from fmp_snmp.aio import LoopThread
from fmp_snmp.client import SnmpClient
from fmp_snmp.probe import ProbeResult, probe
from fmp_snmp.types import SnmpTarget
from printers.models import Device, PollRun
from printers.services import PollOutcome, observations_store

logger = logging.getLogger(__name__)


def device_target(device: Device) -> SnmpTarget:
    """How to reach a device, from its (help-desk only) SNMP settings."""
    return SnmpTarget(
        host=str(device.ip_address or device.dns_name),
        port=device.snmp_port,
        version=device.snmp_version,
        community=device.snmp_community,
        v3_user=device.snmp_v3_user,
        v3_auth_protocol=device.snmp_v3_auth_protocol,
        v3_auth_key=device.snmp_v3_auth_key,
        v3_priv_protocol=device.snmp_v3_priv_protocol,
        v3_priv_key=device.snmp_v3_priv_key,
        timeout=settings.FMP_SNMP_TIMEOUT,
        retries=settings.FMP_SNMP_RETRIES,
    )


@dataclass
class BatchStats:
    devices: int = 0
    failures: int = 0
    warnings: list[str] = field(default_factory=list)


def _claim(
    *, after_pk: int, ids: list[int] | None, limit: int, token: str, respect_backoff: bool, since=None
) -> list[Device]:
    """Take up to ``limit`` devices for this run; ``since``: skip those another worker already
    polled during this run (claims stop two workers polling a device at once, this stops
    them polling it one after the other)."""
    now = timezone.now()
    with transaction.atomic():
        qs = (
            Device.objects.monitored()
            # A site collector's device: its collector polls it (the portal may not reach it).
            .filter(managed_by_snmp=True, collector__isnull=True, pk__gt=after_pk)
            .filter(Q(ip_address__isnull=False) | ~Q(dns_name=""))
        )
        qs = qs.filter(
            Q(poll_claimed_until__isnull=True) | Q(poll_claimed_until__lt=now) | Q(poll_claim_token=token)
        )
        if ids is not None:
            qs = qs.filter(pk__in=ids)
        if respect_backoff:
            qs = qs.exclude(state__backoff_until__gt=now)
        if since is not None:
            qs = qs.exclude(state__last_attempt_at__gte=since)
        devices = list(
            qs.order_by("pk")
            .select_related("model__manufacturer")  # the answer's identity is checked against it
            .select_for_update(skip_locked=True, of=("self",))[:limit]
        )
        if devices:
            Device.objects.filter(pk__in=[d.pk for d in devices]).update(
                poll_claimed_until=now + timedelta(seconds=settings.FMP_POLL_CLAIM_SECONDS),
                poll_claim_token=token,
            )
    return devices


def _release(devices: list[Device], token: str) -> None:
    Device.objects.filter(pk__in=[d.pk for d in devices], poll_claim_token=token).update(
        poll_claimed_until=None, poll_claim_token=""
    )


async def poll_many(
    client: SnmpClient, devices: list[Device], *, concurrency: int, budget: float
) -> list[tuple[Device, ProbeResult]]:
    """Poll devices concurrently: at most ``concurrency`` in flight, each within ``budget`` seconds."""
    semaphore = asyncio.Semaphore(concurrency)

    async def one(device: Device) -> tuple[Device, ProbeResult]:
        async with semaphore:
            return device, await probe(client, device_target(device), budget=budget)

    return await asyncio.gather(*(one(d) for d in devices))


def fleet_poll_run(
    *,
    kind: str = "fleet",
    device_ids: list[int] | None = None,
    token: str = "",
    respect_backoff: bool = True,
    concurrency: int | None = None,
) -> PollRun | None:
    """Poll the fleet (or the given devices). Returns the run, or None when one is still going."""
    token = (token or f"run-{time.monotonic_ns()}")[:64]
    # Held for the whole run by this process's database session: a delivery of the same
    # task that finds it taken is a duplicate of a run still going (the broker's visibility
    # timeout ran out before the run did) and stops; one that can take it knows the earlier
    # worker died (its session went with it) and takes the run over.
    with advisory_lock(f"fmp.poll-run:{token}") as alone:
        if not alone:
            logger.warning("Poll run %s is still going in another worker: this delivery is dropped", token)
            return None
        return _fleet_poll_run(kind, device_ids, token, respect_backoff, concurrency)


def _fleet_poll_run(kind, device_ids, token, respect_backoff, concurrency) -> PollRun | None:
    if kind == "fleet" and _fleet_run_in_progress(token):
        logger.info("A fleet poll is still running: this one is skipped")
        return None
    runs = PollRun.objects.filter(kind=kind, token=token)
    if runs.filter(finished_at__isnull=False).exists():
        logger.warning("Poll run %s delivered again after it finished: nothing to do", token)
        return None
    run = runs.first()
    if run is None:
        run = PollRun.objects.create(kind=kind, token=token)
    else:
        logger.warning("Poll run %s delivered again (its worker died): taking it over", token)
    concurrency = concurrency or settings.FMP_POLL_CONCURRENCY
    stats = BatchStats()
    with LoopThread() as runner:
        client = SnmpClient()
        try:
            _poll_batches(runner, client, device_ids, token, respect_backoff, concurrency, kind, stats, run)
        finally:
            runner.run(client.aclose())
    run.devices, run.failures = stats.devices, stats.failures
    run.finished_at = timezone.now()
    if stats.warnings:
        # For the help desk (admin: Poll runs): devices answered by another printer.
        note = Text(
            "printers.run.foreign", count=len(stats.warnings), devices="; ".join(stats.warnings)[:400]
        )
        text_set(run, "note", note, max_length=500)
    run.save(update_fields=["devices", "failures", "finished_at", "note", "note_code"])
    return run


def _poll_batches(runner, client, device_ids, token, respect_backoff, concurrency, kind, stats, run) -> None:
    """Claim a batch, poll it on the runner's loop, store it here (this thread's DB connection)."""
    after_pk = 0
    while True:
        devices = _claim(
            after_pk=after_pk,
            ids=device_ids,
            limit=settings.FMP_POLL_BATCH,
            token=token,
            respect_backoff=respect_backoff,
            since=run.started_at,
        )
        if not devices:
            return
        after_pk = devices[-1].pk
        try:
            results = runner.run(
                poll_many(client, devices, concurrency=concurrency, budget=settings.FMP_POLL_DEVICE_BUDGET)
            )
            _store(results, trigger=kind, stats=stats)
            PollRun.objects.filter(pk=run.pk).update(
                heartbeat_at=timezone.now(), devices=stats.devices, failures=stats.failures
            )
        finally:
            _release(devices, token)


def _fleet_run_in_progress(token: str = "") -> bool:
    """Another fleet run, unfinished and alive (a redelivery of the same task is not "another").

    A run shows it is alive after each batch; one silent for longer than a claim lease
    died (worker killed, database restarted) and no longer blocks the next.
    """
    now = timezone.now()
    horizon = now - timedelta(minutes=settings.FMP_POLL_RUN_MAX_MINUTES)
    alive = now - timedelta(seconds=settings.FMP_POLL_CLAIM_SECONDS)
    running = PollRun.objects.filter(kind="fleet", finished_at__isnull=True, started_at__gt=horizon).filter(
        Q(heartbeat_at__gt=alive) | Q(heartbeat_at__isnull=True, started_at__gt=alive)
    )
    return running.exclude(token=token).exists() if token else running.exists()


def _store(results: list[tuple[Device, ProbeResult]], *, trigger: str, stats: BatchStats) -> None:
    at = timezone.now()
    outcomes = []
    for device, result in results:
        stats.devices += 1
        stats.failures += not (result.ok and result.normalised is not None)
        outcomes.append(PollOutcome(device, result.observation(trigger=trigger), at))
    observations_store(outcomes=outcomes, warnings=stats.warnings)
