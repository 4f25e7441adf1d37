"""Test data builders: one place, plain functions."""

from __future__ import annotations

import itertools
import random
import string

from django.utils import timezone

from fmp_snmp.observation import supply_percent
from printers.models import Device, DeviceModel, DeviceState, Manufacturer, Supply
from tickets.models import Ticket

_serials = itertools.count(100000)


def device_model(name="ColorQube 9203", maker="Xerox", colour=True, **features) -> DeviceModel:
    manufacturer, _ = Manufacturer.objects.get_or_create(name=maker)
    model, _ = DeviceModel.objects.get_or_create(
        manufacturer=manufacturer, name=name, defaults={"is_colour": colour, **features}
    )
    return model


def device(
    account,
    site=None,
    *,
    serial=None,
    model=None,
    state=None,
    levels=None,
    total=None,
    conditions=None,
    **fields,
) -> Device:
    """A device; ``state`` ("ok", "warning"...) adds a DeviceState, ``levels`` toner supplies."""
    model = model if model is not None else device_model()
    dev = Device.objects.create(
        account=account,
        site=site,
        model=model,
        serial_number=serial if serial is not None else f"SN{next(_serials)}",
        **fields,
    )
    if state is not None or levels is not None or total is not None:
        st = DeviceState.objects.create(
            device=dev,
            overall=state or "ok",
            conditions=conditions or [],
            status_at=timezone.now() - timezone.timedelta(hours=3),
            last_attempt_at=timezone.now() - timezone.timedelta(hours=3),
            total_pages=total,
        )
        for index, (colour, level) in enumerate((levels or {}).items(), start=1):
            Supply.objects.create(
                device=dev,
                index=index,
                description=f"{colour} toner",
                type="toner",
                colour=colour,
                level=level,
                max_capacity=100,
                percent=supply_percent(level, 100),
            )
            setattr(st, f"level_{colour}", supply_percent(level, 100))
        st.colours_present = list((levels or {}).keys())
        st.save()
    return dev


def ticket(account, device=None, *, state="new", summary="Device Service Request", **fields) -> Ticket:
    number = "".join(random.choices(string.ascii_uppercase, k=2)) + "".join(
        random.choices(string.digits, k=6)
    )
    return Ticket.objects.create(
        number=number,
        account=account,
        device=device,
        site=device.site if device else None,
        state=state,
        summary=summary,
        occurred_at=fields.pop("occurred_at", timezone.now()),
        **fields,
    )
