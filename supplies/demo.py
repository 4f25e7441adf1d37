"""A consumables catalogue for the demo models (idempotent, keyed by part number)."""

from __future__ import annotations

from printers.models import DeviceModel
from supplies.models import ConsumableItem

COLOURS = ["black", "cyan", "magenta", "yellow"]
GENERIC = [
    ("GEN-TONER-K", "Generic black toner", "toner", "black"),
    ("GEN-TONER-C", "Generic cyan toner", "toner", "cyan"),
    ("GEN-TONER-M", "Generic magenta toner", "toner", "magenta"),
    ("GEN-TONER-Y", "Generic yellow toner", "toner", "yellow"),
    ("GEN-STAPLES", "Staple cartridge", "staples", ""),
    ("GEN-PAPER-A4", "A4 paper, box of 5 reams", "other", ""),
]


def demo_catalogue_build() -> int:
    created = 0
    for part, description, kind, colour in GENERIC:
        _item, new = ConsumableItem.objects.get_or_create(
            part_number=part,
            defaults={"description": description, "type": kind, "colour": colour, "generic": True},
        )
        created += new
    for model in DeviceModel.objects.select_related("manufacturer"):
        prefix = "".join(ch for ch in model.name.upper() if ch.isalnum())[:10]
        rows = [
            (f"{prefix}-{c[0].upper()}", f"{model.name} {c} toner", "toner", c, 20000)
            for c in (COLOURS if model.is_colour else ["black"])
        ]
        rows += [
            (f"{prefix}-DRUM", f"{model.name} drum cartridge", "drum", "", 80000),
            (f"{prefix}-FUSER", f"{model.name} fuser", "fuser", "", 150000),
            (f"{prefix}-WASTE", f"{model.name} waste container", "waste", "", 50000),
        ]
        for part, description, kind, colour, pages in rows:
            item, new = ConsumableItem.objects.get_or_create(
                part_number=part,
                defaults={"description": description, "type": kind, "colour": colour, "yield_pages": pages},
            )
            item.compatible_models.add(model)
            created += new
    return created
