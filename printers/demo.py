"""A realistic demo fleet with months of history, built in bulk (fast enough for 10,000 devices).

Deterministic (seeded) and idempotent: devices are keyed by serial number, and a device
that exists already is left alone. Every demo device answers on 127.0.0.1 at the simulated
fleet's port with its own community (``manage.py simfleet`` serves them), so nothing
else is ever polled.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from fmp_snmp.observation import supply_percent
from printers.models import (
    CounterSample,
    Device,
    DeviceModel,
    DeviceState,
    Manufacturer,
    StatusObservation,
    Supply,
    SupplyLevelSample,
)

# (manufacturer, model, colour, features, pages per minute)
CATALOGUE = [
    ("Xerox", "ColorQube 9203", True, {"duplex", "fax", "scan", "copy", "staple", "a3"}, 38),
    ("Xerox", "ColorQube 9303", True, {"duplex", "fax", "scan", "copy", "staple", "a3"}, 55),
    ("Xerox", "WorkCentre 5665", False, {"duplex", "fax", "scan", "copy", "staple", "a3"}, 65),
    ("Xerox", "WorkCentre 5675", False, {"duplex", "fax", "scan", "copy", "staple", "a3"}, 75),
    ("Xerox", "WorkCentre 5755", False, {"duplex", "scan", "copy", "staple", "a3"}, 55),
    ("Xerox", "Phaser 8500N", True, {"duplex"}, 30),
    ("Xerox", "WorkCentre Pro 165", False, {"duplex", "fax", "scan", "copy", "a3"}, 65),
    ("Xerox", "WorkCentre Pro 175", False, {"duplex", "fax", "scan", "copy", "a3"}, 75),
    ("Xerox", "WorkCentre 3550", False, {"duplex", "fax", "scan", "copy"}, 33),
    ("HP", "LaserJet Enterprise M607", False, {"duplex"}, 52),
    ("HP", "Color LaserJet Enterprise M553", True, {"duplex"}, 38),
    ("Canon", "imageRUNNER ADVANCE C5535i", True, {"duplex", "fax", "scan", "copy", "staple", "a3"}, 35),
    ("Brother", "HL-L8360CDW", True, {"duplex"}, 31),
    ("Kyocera", "ECOSYS M3655idn", False, {"duplex", "fax", "scan", "copy"}, 55),
    ("Lexmark", "MS821dn", False, {"duplex"}, 52),
]
# Weights: the guide's Xerox fleet dominates.
WEIGHTS = [8, 5, 6, 5, 4, 3, 4, 4, 5, 3, 3, 2, 2, 2, 2]

COLOURS = ["black", "cyan", "magenta", "yellow"]
WARNING_SETS = [
    ["noPaper", "inputTrayEmpty", "serviceRequested"],
    ["noPaper", "inputTrayEmpty"],
    ["inputTrayEmpty", "serviceRequested"],
    ["lowToner"],
    ["lowPaper"],
    ["outputNearFull"],
    ["overduePreventMaint"],
]
ERROR_SETS = [["jammed"], ["doorOpen"], ["noToner", "serviceRequested"], ["offline"], ["markerSupplyMissing"]]


def catalogue_ensure() -> list[DeviceModel]:
    models = []
    for maker, name, colour, features, ppm in CATALOGUE:
        manufacturer, _ = Manufacturer.objects.get_or_create(name=maker)
        model, _ = DeviceModel.objects.get_or_create(
            manufacturer=manufacturer,
            name=name,
            defaults={
                "is_colour": colour,
                "pages_per_minute": ppm,
                **dict.fromkeys(features, True),
            },
        )
        models.append(model)
    return models


def _supplies_for(model: DeviceModel) -> list[tuple[int, str, str, str, int]]:
    """(index, description, type, colour, max capacity): the model's consumables in the
    demo catalogue (``supplies.demo``), so that an order for a supply finds what fits."""
    from supplies.demo import model_supplies

    items = model_supplies(model.name)
    if items:
        return [
            (i, name, kind, colour, 100) for i, (_part, name, kind, colour, _pages) in enumerate(items, 1)
        ]
    rows = []
    colours = COLOURS if model.is_colour else ["black"]
    for index, colour in enumerate(colours, start=1):
        rows.append((index, f"{colour.capitalize()} Toner Cartridge", "toner", colour, 100))
    index = len(rows) + 1
    rows.append((index, "Drum Cartridge", "drum", "", 100))
    rows.append((index + 1, "Fuser Assembly", "fuser", "", 100))
    rows.append((index + 2, "Waste Toner Container", "waste", "", 100))
    return rows


@dataclass(frozen=True)
class PlannedDevice:
    """A demo device to create: the guide's (fixed) or a generated one."""

    serial: str
    model: str
    asset: str = ""
    overall: str | None = None  # None: drawn at random
    conditions: tuple[str, ...] = ()
    total: int | None = None  # the page count now; None: drawn at random
    networked: bool | None = None  # None: drawn at random (most are)


# The client guide's printers (its grid, tickets and asset list), besides the two the simulator
# answers with recordings of their own (813000305 and 3634093981, see ``demo_special_devices``).
GUIDE_DEVICES = [
    PlannedDevice("3643605014", "WorkCentre 5755", overall="ok", total=46848, networked=True),
    PlannedDevice("WYN433180", "Phaser 8500N", asset="6E8E33FF", overall="ok", total=34316, networked=True),
    PlannedDevice(
        "3661862474",
        "ColorQube 9303",
        overall="warning",
        conditions=("noPaper", "inputTrayEmpty", "serviceRequested"),
        total=28356,
        networked=True,
    ),
    PlannedDevice(
        "821000341",
        "ColorQube 9203",
        overall="warning",
        conditions=("noPaper", "inputTrayEmpty"),
        total=620519,
        networked=True,
    ),
    PlannedDevice(
        "2232514186",
        "WorkCentre Pro 165",
        asset="3CS3CB51",
        overall="warning",
        conditions=("noPaper", "inputTrayEmpty"),
        total=708561,
        networked=True,
    ),
    PlannedDevice(
        "2232361762",
        "WorkCentre Pro 175",
        asset="A1A393D2",
        overall="warning",
        conditions=("noPaper", "inputTrayEmpty"),
        total=1462511,
        networked=True,
    ),
    PlannedDevice(
        "3634555578",
        "WorkCentre 5675",
        overall="warning",
        conditions=("inputTrayEmpty", "serviceRequested"),
        total=505225,
        networked=True,
    ),
    # Not on the network: its counters come from the monthly reads its users submit.
    PlannedDevice("VMA647999", "WorkCentre 3550", total=46848, networked=False),
]
NOT_NETWORKED_SHARE = 0.12  # of the generated devices: the guide's manual meter-read case
LEVEL_HISTORY_DAYS = 183  # six months of supply levels (the Supplies tab's chart)


@transaction.atomic
def demo_fleet_build(
    *,
    account,
    site,
    count: int,
    seed: int = 1,
    history_days: int = 365,
    sample_every_days: int = 7,
    serial_prefix: str = "",
    sim_port: int | None = None,
    now: datetime | None = None,
    fixed: list[PlannedDevice] | None = None,
    level_days: int = LEVEL_HISTORY_DAYS,
) -> int:
    """Create up to ``count`` demo devices for ``account`` (the ``fixed`` ones first, then
    generated ones) with ``history_days`` of counters and ``level_days`` of supply levels;
    returns how many were created. Networked devices answer on 127.0.0.1 at the simulated
    fleet's port with their own community; the others have no address (manual reads)."""
    rng = random.Random(seed)
    sim_port = sim_port or settings.FMP_SIM_PORT
    now = now or timezone.now()
    models = catalogue_ensure()
    by_name = {m.name: m for m in models}
    wanted = list(fixed or [])[:count]
    for i in range(count - len(wanted)):
        wanted.append(PlannedDevice(f"{serial_prefix}{rng.randrange(10**8, 10**9)}{i:04d}", ""))
    existing = set(
        Device.objects.filter(account=account, serial_number__in=[w.serial for w in wanted]).values_list(
            "serial_number", flat=True
        )
    )
    plan = []
    for want in wanted:
        model = by_name.get(want.model) or rng.choices(models, weights=WEIGHTS)[0]
        if want.serial in existing:
            continue
        networked = want.networked if want.networked is not None else rng.random() >= NOT_NETWORKED_SHARE
        plan.append((want, model, networked))
    if not plan:
        return 0

    devices = []
    for want, model, networked in plan:
        serial = want.serial
        discovered = now - timedelta(
            days=rng.randint(history_days, history_days + 900), minutes=rng.randint(0, 1440)
        )
        devices.append(
            Device(
                account=account,
                site=site,
                model=model,
                serial_number=serial,
                asset_number=want.asset or f"{rng.randrange(16**8):08X}",
                ip_address="127.0.0.1" if networked else None,
                snmp_port=sim_port,
                snmp_community=f"fmp-{serial}" if networked else "",
                system_name=f"{site.city[:3].upper() if site and site.city else 'PRN'}-{rng.randint(1, 99)}L-{serial[-4:]}"
                if networked
                else "",
                printer_location=f"{site.building or '1'}/{rng.randint(0, 5)}/{site.city}/{site.state}/{site.country}"
                if site
                else "",
                under_contract=rng.random() < 0.85,
                discovered_at=discovered,
                newly_discovered=networked and rng.random() < 0.08,
                supplies_on_hold=rng.random() < 0.04,
                notifications_enabled=rng.random() < 0.5,
                managed_by_snmp=networked,
            )
        )
    Device.objects.bulk_create(devices, batch_size=2000)
    planned = {want.serial: want for want, _model, _networked in plan}
    devices = list(
        Device.objects.filter(account=account, serial_number__in=list(planned)).select_related("model")
    )
    for device in devices:
        if device.supplies_on_hold:
            device.supplies_hold_reason = "Contract renewal pending"
    Device.objects.bulk_update([d for d in devices if d.supplies_on_hold], ["supplies_hold_reason"])

    states, observations, supplies, counter_samples = [], [], [], []
    supply_history: list[tuple[Supply, list[tuple[datetime, int]]]] = []
    sample_times = [now - timedelta(days=d) for d in range(history_days, -1, -sample_every_days)]
    level_times = [t for t in sample_times if now - t <= timedelta(days=level_days)]
    for device in devices:
        want = planned[device.serial_number]
        roll = rng.random()
        if want.overall is not None:
            overall, conditions = want.overall, list(want.conditions)
        elif roll < 0.55:
            overall, conditions = "ok", []
        elif roll < 0.82:
            overall, conditions = "warning", rng.choice(WARNING_SETS)
        elif roll < 0.93:
            overall, conditions = "error", rng.choice(ERROR_SETS)
        else:
            overall, conditions = "other", []
        reachable = not (overall == "other" and rng.random() < 0.6)
        daily = rng.randint(20, 900)
        colour_share = rng.uniform(0.1, 0.5) if device.model.is_colour else 0.0
        steps = len(sample_times)
        if want.total is not None:  # ends at the guide's page count
            daily = max(1, min(daily, want.total // max(1, 2 * history_days)))
            start_total = max(0, want.total - steps * (daily * sample_every_days + daily))
        else:
            start_total = rng.randint(10_000, 1_400_000)
        levels = {}
        if device.managed_by_snmp:
            for index, description, kind, colour, capacity in _supplies_for(device.model):
                history = []
                current = rng.randint(40, 100)
                for moment in level_times:
                    history.append((moment, current))
                    current -= rng.randint(0, 9)
                    if current < 3:
                        current = 100  # a cartridge replacement
                level = (
                    (history[-1][1] if history else current) if rng.random() > 0.05 else rng.choice([-2, -3])
                )
                supply = Supply(
                    device=device,
                    index=index,
                    description=description,
                    type=kind,
                    colour=colour,
                    level=level,
                    max_capacity=capacity,
                    percent=supply_percent(level, capacity),
                    updated_at=sample_times[-1],
                )
                supplies.append(supply)
                if kind == "toner":
                    levels[colour] = supply.percent
                supply_history.append((supply, history))
        total = start_total
        for moment in sample_times:
            total += daily * sample_every_days + rng.randint(0, daily)
            if want.total is not None:
                total = min(total, want.total)
            colour_pages = int(total * colour_share)
            counter_samples.append(
                CounterSample(device=device, counter="total", observed_at=moment, value=total)
            )
            counter_samples.append(
                CounterSample(device=device, counter="black", observed_at=moment, value=total - colour_pages)
            )
            if device.model.is_colour:
                counter_samples.append(
                    CounterSample(device=device, counter="colour", observed_at=moment, value=colour_pages)
                )
        if not device.managed_by_snmp:
            continue  # never polled: no status, no levels (its reads are made below)
        status_at = now - timedelta(hours=rng.randint(1, 20), minutes=rng.randint(0, 59))
        uptime = rng.randint(3600, 90 * 86400)
        states.append(
            DeviceState(
                device=device,
                overall=overall,
                conditions=conditions,
                device_status={"ok": 2, "warning": 3, "error": 5}.get(overall, 1),
                printer_status=3 if overall != "error" else 1,
                uptime_seconds=uptime,
                scanner_state="ready" if device.model.scan else "",
                reachable=reachable,
                status_at=status_at,
                last_attempt_at=status_at if reachable else now - timedelta(minutes=rng.randint(5, 50)),
                last_error="" if reachable else "No SNMP response received before timeout",
                level_black=levels.get("black"),
                level_cyan=levels.get("cyan"),
                level_magenta=levels.get("magenta"),
                level_yellow=levels.get("yellow"),
                colours_present=[c for c in COLOURS if c in levels],
                total_pages=total,
            )
        )
        observations.append(
            StatusObservation(
                device=device,
                observed_at=status_at - timedelta(days=rng.randint(1, 30)),
                overall="ok",
                conditions=[],
                reachable=True,
            )
        )
        observations.append(
            StatusObservation(
                device=device,
                observed_at=status_at,
                overall=overall,
                conditions=conditions,
                reachable=reachable,
            )
        )
    DeviceState.objects.bulk_create(states, batch_size=2000)
    StatusObservation.objects.bulk_create(observations, batch_size=5000)
    Supply.objects.bulk_create(supplies, batch_size=5000)
    networked = {d.pk for d in devices if d.managed_by_snmp}
    CounterSample.objects.bulk_create(
        [c for c in counter_samples if c.device_id in networked], batch_size=10000
    )
    _demo_meter_reads(devices, counter_samples, rng, now)
    samples = [
        SupplyLevelSample(supply=supply, observed_at=moment, level=value, max_capacity=100, percent=value)
        for supply, history in supply_history
        for moment, value in history
    ]
    SupplyLevelSample.objects.bulk_create(samples, batch_size=10000)
    return len(devices)


@transaction.atomic
def demo_special_devices(
    *, account, site, now: datetime | None = None, communities: list[str] | None = None
) -> int:
    """Devices answered by the simulator's special recordings (the guide's 813000305 and
    3634093981, vendors, every error bit, special levels, encodings, no supplies, a counter
    that went backwards), the guide's two with a year of counters and six months of levels
    ending where the simulator answers. ``communities``: only these (default: all but the
    hostile one, kept for the tests: hostile text is not a first impression)."""
    from fmp_snmp.simfleet import SPECIAL_DEVICES

    now = now or timezone.now()
    created = 0
    wanted = communities if communities is not None else SPECIAL_COMMUNITIES
    for spec in [s for s in SPECIAL_DEVICES if s.community in wanted]:
        device, new = Device.objects.get_or_create(
            account=account,
            snmp_community=spec.community,
            defaults={
                "site": site,
                "serial_number": spec.serial,
                "asset_number": GUIDE_ASSETS.get(spec.serial, ""),
                "ip_address": "127.0.0.1",
                "snmp_port": settings.FMP_SIM_PORT,
                "discovered_at": now - timedelta(days=400),
                "model": DeviceModel.objects.filter(name=spec.model).first(),
            },
        )
        if not new:
            continue
        created += 1
        if spec.community == "sim-counter-backwards":
            # Its history says 480,000 pages; the device now answers 1,200 (board replaced).
            CounterSample.objects.bulk_create(
                [
                    CounterSample(
                        device=device,
                        counter="total",
                        observed_at=now - timedelta(days=d),
                        value=480_000 - d * 300,
                    )
                    for d in (90, 60, 30)
                ]
            )
        elif spec.serial in GUIDE_ASSETS:
            _special_history(device, spec, now)
    return created


GUIDE_ASSETS = {"813000305": "65732245", "3634093981": "3CS3CB52"}
GUIDE_SPECIAL_COMMUNITIES = ["sim-xerox-colour", "sim-paper-out"]  # the guide's 813000305 and 3634093981
SPECIAL_COMMUNITIES = [
    *GUIDE_SPECIAL_COMMUNITIES,
    "sim-hp-mono",
    "sim-every-error",
    "sim-special-levels",
    "sim-encodings",
    "sim-no-supplies",
    "sim-counter-backwards",
]


def _special_history(device: Device, spec, now: datetime) -> None:
    """A year of weekly counters ending under what the simulator answers, and the supplies it
    reports with six months of levels ending at its level (the first poll continues them)."""
    rng = random.Random(spec.serial)
    weeks = list(range(52, 0, -1))
    total, colour = spec.total or 0, spec.colour_pages or 0
    samples = []
    for n, week in enumerate(weeks):
        at = now - timedelta(days=7 * week)
        share = (n + 1) / (len(weeks) + 1)
        value = int(total * (0.85 + 0.15 * share))
        samples.append(CounterSample(device=device, counter="total", observed_at=at, value=value))
        if colour:
            colour_now = int(colour * (0.85 + 0.15 * share))
            samples.append(CounterSample(device=device, counter="colour", observed_at=at, value=colour_now))
            samples.append(
                CounterSample(device=device, counter="black", observed_at=at, value=value - colour_now)
            )
    CounterSample.objects.bulk_create(samples)
    from meters.models import MeterRead

    MeterRead.objects.bulk_create(
        MeterRead(device=device, counter=c.counter, value=c.value, read_at=c.observed_at, source="automatic")
        for c in samples
    )
    level_times = [now - timedelta(days=d) for d in range(LEVEL_HISTORY_DAYS, 0, -7)]
    for index, sim in enumerate(spec.supplies, start=1):
        percent = supply_percent(sim.level, sim.max_capacity)
        supply = Supply.objects.create(
            device=device,
            index=index,
            description=sim.description if isinstance(sim.description, str) else "",
            type=sim.type,
            colour=sim.colour,
            level=sim.level,
            max_capacity=sim.max_capacity,
            percent=percent,
            updated_at=now - timedelta(hours=6),
        )
        if percent is None:
            continue
        history, current = [], min(100, percent + rng.randint(40, 60))
        for at in level_times:
            history.append(
                SupplyLevelSample(
                    supply=supply, observed_at=at, level=current, max_capacity=100, percent=current
                )
            )
            current = max(percent, current - rng.randint(0, 4))
        SupplyLevelSample.objects.bulk_create(history)


def _demo_meter_reads(devices, counter_samples, rng, now) -> None:
    """Billing reads: automatic for networked devices, monthly manual ones for the others
    (some of them late, so that "due" and "overdue" show in the demo)."""
    from meters.models import MeterRead

    managed = {d.pk: d.managed_by_snmp for d in devices}
    late = {d.pk: rng.choice([0, 0, 35, 50]) for d in devices}
    reads = []
    for sample in counter_samples:
        device_id = sample.device_id
        if managed[device_id]:
            source = "automatic"
        elif sample.observed_at.day <= 7 and now - sample.observed_at > timedelta(days=late[device_id]):
            source = "manual"  # submitted in the first week of the month, some of them late
        else:
            continue
        reads.append(
            MeterRead(
                device_id=device_id,
                counter=sample.counter,
                value=sample.value,
                read_at=sample.observed_at,
                source=source,
            )
        )
    MeterRead.objects.bulk_create(reads, batch_size=10000)
