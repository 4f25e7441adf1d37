"""The demo's consumables catalogue (idempotent, keyed by part number).

Every item has a part number and a yield; each model's items fit that model only (families
of models that share a cartridge share the item: the WorkCentre 5665, 5675 and 5755 take
the same toner), and the demo fleet's supplies are made from the same table
(``model_supplies``), so that an automatic order for a supply finds the cartridge that fits.
Part numbers follow the makers' style; they are demo data, not a price list.

Generic items are named once, by what they are ("Black toner": the page adds "generic"),
and their names are words of the portal's own vocabulary, translated at display
(``ConsumableItem.name``); a specific item's name is the maker's product name, shown as is.
"""

from __future__ import annotations

from django.utils.translation import gettext_noop

from printers.models import DeviceModel
from supplies.models import ConsumableItem

# (part number, name, type, colour, yield in pages). Names marked for translation.
GENERIC = [
    ("GEN-TONER-K", gettext_noop("Black toner"), "toner", "black", 10000),
    ("GEN-TONER-C", gettext_noop("Cyan toner"), "toner", "cyan", 8000),
    ("GEN-TONER-M", gettext_noop("Magenta toner"), "toner", "magenta", 8000),
    ("GEN-TONER-Y", gettext_noop("Yellow toner"), "toner", "yellow", 8000),
    ("GEN-STAPLES", gettext_noop("Staple cartridge, 5,000 staples"), "staples", "", 5000),
    ("GEN-PAPER-A4", gettext_noop("A4 paper, box of 5 reams"), "other", "", 2500),
]

# Families of models sharing their consumables: (models, [(part, name, type, colour, yield)]).
FAMILIES: list[tuple[tuple[str, ...], list[tuple[str, str, str, str, int]]]] = [
    (
        ("ColorQube 9203", "ColorQube 9303"),
        [
            ("108R00828", "ColorQube 9200/9300 Black Cartridge", "toner", "black", 30000),
            ("108R00829", "ColorQube 9200/9300 Cyan Cartridge", "toner", "cyan", 25000),
            ("108R00830", "ColorQube 9200/9300 Magenta Cartridge", "toner", "magenta", 25000),
            ("108R00831", "ColorQube 9200/9300 Yellow Cartridge", "toner", "yellow", 25000),
            ("109R00783", "ColorQube 9200/9300 Drum Maintenance Kit", "drum", "", 120000),
            ("109R00848", "ColorQube 9200/9300 Fuser Module", "fuser", "", 500000),
            ("109R00846", "ColorQube 9200/9300 Waste Cartridge", "waste", "", 200000),
        ],
    ),
    (
        ("WorkCentre 5665", "WorkCentre 5675", "WorkCentre 5755"),
        [
            ("006R01146", "WorkCentre 5600/5700 Toner Cartridge", "toner", "black", 110000),
            ("013R00591", "WorkCentre 5600/5700 Drum Cartridge", "drum", "", 400000),
            ("109R00751", "WorkCentre 5600/5700 Fuser Module", "fuser", "", 500000),
            ("008R12896", "WorkCentre 5600/5700 Waste Toner Bottle", "waste", "", 300000),
        ],
    ),
    (
        ("WorkCentre Pro 165", "WorkCentre Pro 175"),
        [
            ("006R01046", "WorkCentre Pro 165/175 Toner Cartridge", "toner", "black", 30000),
            ("013R00589", "WorkCentre Pro 165/175 Drum Cartridge", "drum", "", 150000),
            ("109R00636", "WorkCentre Pro 165/175 Fuser Module", "fuser", "", 300000),
            ("008R12904", "WorkCentre Pro 165/175 Waste Toner Bottle", "waste", "", 100000),
        ],
    ),
    (
        ("WorkCentre 3550",),
        [
            ("106R01531", "WorkCentre 3550 High Capacity Toner Cartridge", "toner", "black", 11000),
            ("108R00794", "WorkCentre 3550 Drum Cartridge", "drum", "", 30000),
            ("109R00793", "WorkCentre 3550 Fuser Module", "fuser", "", 100000),
            ("108R00795", "WorkCentre 3550 Waste Toner Container", "waste", "", 30000),
        ],
    ),
    (
        ("Phaser 8500N",),
        [
            ("108R00672", "Phaser 8500/8550 Black Solid Ink", "toner", "black", 3000),
            ("108R00669", "Phaser 8500/8550 Cyan Solid Ink", "toner", "cyan", 1000),
            ("108R00670", "Phaser 8500/8550 Magenta Solid Ink", "toner", "magenta", 1000),
            ("108R00671", "Phaser 8500/8550 Yellow Solid Ink", "toner", "yellow", 1000),
            ("108R00675", "Phaser 8500/8550 Maintenance Kit (drum)", "drum", "", 10000),
            ("116R00003", "Phaser 8500/8550 Fuser Assembly", "fuser", "", 100000),
            ("109R00754", "Phaser 8500/8550 Waste Tray", "waste", "", 30000),
        ],
    ),
    (
        ("LaserJet Enterprise M607",),
        [
            ("CF237X", "HP 37X High Yield Black LaserJet Toner Cartridge", "toner", "black", 25000),
            ("CF237YC", "HP 37Y Imaging Drum Unit", "drum", "", 100000),
            ("L0H25A", "HP LaserJet 220V Maintenance Kit (fuser)", "fuser", "", 225000),
            ("CF237WT", "HP LaserJet M607 Toner Collection Unit", "waste", "", 100000),
        ],
    ),
    (
        ("Color LaserJet Enterprise M553",),
        [
            ("CF360X", "HP 508X High Yield Black LaserJet Toner Cartridge", "toner", "black", 12500),
            ("CF361X", "HP 508X High Yield Cyan LaserJet Toner Cartridge", "toner", "cyan", 9500),
            ("CF363X", "HP 508X High Yield Magenta LaserJet Toner Cartridge", "toner", "magenta", 9500),
            ("CF362X", "HP 508X High Yield Yellow LaserJet Toner Cartridge", "toner", "yellow", 9500),
            ("CF360DR", "HP Color LaserJet M553 Imaging Drum", "drum", "", 60000),
            ("B5L36A", "HP Color LaserJet 220V Fuser Kit", "fuser", "", 150000),
            ("B5L37A", "HP Color LaserJet Toner Collection Unit", "waste", "", 54000),
        ],
    ),
    (
        ("imageRUNNER ADVANCE C5535i",),
        [
            ("8516B002", "Canon C-EXV 51 Black Toner", "toner", "black", 69000),
            ("0482C002", "Canon C-EXV 51L Cyan Toner", "toner", "cyan", 26000),
            ("0483C002", "Canon C-EXV 51L Magenta Toner", "toner", "magenta", 26000),
            ("0484C002", "Canon C-EXV 51L Yellow Toner", "toner", "yellow", 26000),
            ("0488C002", "Canon C-EXV 53 Drum Unit", "drum", "", 280000),
            ("FM1-A683", "Canon iR ADV C5500 Fixing Assembly", "fuser", "", 300000),
            ("FM1-A606", "Canon WT-202 Waste Toner Container", "waste", "", 100000),
        ],
    ),
    (
        ("HL-L8360CDW",),
        [
            ("TN-436BK", "Brother TN-436BK Super High Yield Black Toner", "toner", "black", 6500),
            ("TN-436C", "Brother TN-436C Super High Yield Cyan Toner", "toner", "cyan", 6500),
            ("TN-436M", "Brother TN-436M Super High Yield Magenta Toner", "toner", "magenta", 6500),
            ("TN-436Y", "Brother TN-436Y Super High Yield Yellow Toner", "toner", "yellow", 6500),
            ("DR-431CL", "Brother DR-431CL Drum Unit", "drum", "", 30000),
            ("LU1007001", "Brother HL-L8360 Fuser Unit", "fuser", "", 100000),
            ("WT-229CL", "Brother WT-229CL Waste Toner Box", "waste", "", 50000),
        ],
    ),
    (
        ("ECOSYS M3655idn",),
        [
            ("TK-3190", "Kyocera TK-3190 Black Toner Kit", "toner", "black", 25000),
            ("DK-3190", "Kyocera DK-3190 Drum Unit", "drum", "", 500000),
            ("FK-3300", "Kyocera FK-3300 Fuser Kit", "fuser", "", 500000),
            ("WT-3100", "Kyocera ECOSYS Waste Toner Box", "waste", "", 100000),
        ],
    ),
    (
        ("MS821dn",),
        [
            ("58D2H00", "Lexmark 58D2H00 High Yield Black Toner", "toner", "black", 15000),
            ("58D0Z00", "Lexmark 58D0Z00 Imaging Unit", "drum", "", 150000),
            ("41X2238", "Lexmark MS82x Fuser Maintenance Kit", "fuser", "", 200000),
            ("58D0W00", "Lexmark MS82x Waste Toner Bottle", "waste", "", 150000),
        ],
    ),
]


def model_supplies(model_name: str) -> list[tuple[str, str, str, str, int]]:
    """The consumables of ``model_name`` (part, name, type, colour, yield), or []."""
    for models, items in FAMILIES:
        if model_name in models:
            return items
    return []


def demo_catalogue_build() -> int:
    """Create the catalogue's items (and link each to the demo models it fits); returns how many were new."""
    created = 0
    for part, name, kind, colour, pages in GENERIC:
        _item, new = ConsumableItem.objects.update_or_create(
            part_number=part,
            defaults={
                "description": name,
                "type": kind,
                "colour": colour,
                "generic": True,
                "yield_pages": pages,
                "active": True,
            },
        )
        created += new
    by_name = {m.name: m for m in DeviceModel.objects.filter(name__in=[n for ms, _ in FAMILIES for n in ms])}
    for models, items in FAMILIES:
        fits = [by_name[n] for n in models if n in by_name]
        for part, name, kind, colour, pages in items:
            item, new = ConsumableItem.objects.update_or_create(
                part_number=part,
                defaults={
                    "description": name,
                    "type": kind,
                    "colour": colour,
                    "yield_pages": pages,
                    "active": True,
                },
            )
            item.compatible_models.set(fits)
            created += new
    # A demo database made by an earlier version: its other items are no longer offered
    # (deactivated, not deleted: past orders keep them).
    current = {part for part, *_rest in GENERIC} | {
        part for _models, items in FAMILIES for part, *_r in items
    }
    ConsumableItem.objects.exclude(part_number__in=current).update(active=False)
    return created


# (number, serial of the guide's printer, colour of the toner, days ago, status). Automatic
# orders come from the hourly task on the demo's levels.
DEMO_ORDERS = [
    ("SO20260001", "813000305", "cyan", 3, "submitted"),
    ("SO20260002", "2232514186", "black", 9, "shipped"),
    ("SO20260003", "3634555578", "black", 35, "delivered"),
    ("SO20260004", "821000341", "magenta", 120, "delivered"),
    ("SO20260005", "3661862474", "black", 200, "delivered"),
    ("SO20260006", "WYN433180", "yellow", 160, "cancelled"),
]


def demo_orders_build(*, account, requester, now=None) -> int:
    """Supply orders of the guide's printers, open and closed, some older than 90 days (the
    Settings' "last 90 days / all" changes the list); each for the cartridge that fits."""
    from datetime import timedelta

    from django.utils import timezone

    from supplies.models import Order, OrderLine

    now = now or timezone.now()
    devices = {d.serial_number: d for d in account.devices.select_related("model", "site")}
    created = 0
    for number, serial, colour, days, status in DEMO_ORDERS:
        device = devices.get(serial)
        if device is None or device.model is None or Order.objects.filter(number=number).exists():
            continue
        item = (
            ConsumableItem.objects.filter(compatible_models=device.model, type="toner", colour=colour).first()
            or ConsumableItem.objects.filter(compatible_models=device.model, type="toner").first()
        )
        if item is None:
            continue
        site = device.site
        at = now - timedelta(days=days, hours=2)
        order = Order.objects.create(
            number=number,
            account=account,
            device=device,
            site=site,
            status=status,
            created_by=requester,
            contact_name=requester.get_full_name() if requester else "",
            contact_phone="+1 585 555 0100",
            street=site.street1 if site else "",
            postal_code=site.postal_code if site else "",
            city=site.city if site else "",
            country=site.country if site else "",
        )
        dates = {"created_at": at}
        if status in ("shipped", "delivered"):
            dates.update(processing_at=at + timedelta(hours=3), shipped_at=at + timedelta(days=1))
        if status == "delivered":
            dates["delivered_at"] = at + timedelta(days=3)
        if status == "cancelled":
            dates["cancelled_at"] = at + timedelta(hours=5)
        Order.objects.filter(pk=order.pk).update(**dates)  # created_at is set on creation
        OrderLine.objects.create(order=order, item=item, quantity=1)
        created += 1
    return created
