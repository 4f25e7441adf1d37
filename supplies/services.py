"""Writes for supplies: cart, orders, their processing, and the proactive replenishment."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from fmp.numbers import create_numbered, random_code
from fmp.texts import Text, text_fields
from printers.choices import Colour
from printers.models import Device, Supply, SupplyLevelSample
from supplies.choices import OPEN_ORDER_STATUSES, OrderOrigin, OrderStatus
from supplies.forecast import days_left, level_is_old, replaced_since
from supplies.models import CartLine, ConsumableItem, Order, OrderEvent, OrderLine

logger = logging.getLogger(__name__)


class SuppliesOnHold(Exception):
    """The device's supplies are on hold: nothing can be ordered for it."""


def orderable_items(device: Device):
    """Items for the device's model, plus the generic ones (no colour toner for a
    black-and-white model)."""
    qs = ConsumableItem.objects.filter(active=True)
    if not device.model_id:
        return qs.filter(generic=True)
    qs = qs.filter(Q(compatible_models=device.model_id) | Q(generic=True)).distinct()
    if not device.model.is_colour:
        qs = qs.exclude(generic=True, colour__in=[Colour.CYAN, Colour.MAGENTA, Colour.YELLOW])
    return qs


MAX_QUANTITY = 20  # of one item for one device in one order; more goes through the help desk


class QuantityTooHigh(Exception):
    """The cart would hold more than MAX_QUANTITY of an item for a device."""


def cart_add(*, user, device: Device, item: ConsumableItem, quantity: int) -> CartLine:
    if device.supplies_on_hold:
        raise SuppliesOnHold(device.supplies_hold_reason)
    line, created = CartLine.objects.get_or_create(
        user=user, device=device, item=item, defaults={"quantity": quantity}
    )
    if not created:
        if line.quantity + quantity > MAX_QUANTITY:
            raise QuantityTooHigh(line.quantity)
        line.quantity += quantity
        line.save(update_fields=["quantity"])
    return line


def cart_update(*, user, quantities: dict[int, int]) -> None:
    """Set the quantities of the user's cart lines at once (0 removes a line)."""
    if any(not 0 <= quantity <= MAX_QUANTITY for quantity in quantities.values()):
        raise QuantityTooHigh(max(quantities.values()))
    with transaction.atomic():
        lines = CartLine.objects.filter(user=user, pk__in=list(quantities))
        for line in lines:
            quantity = quantities[line.pk]
            if quantity == 0:
                line.delete()
            elif quantity != line.quantity:
                line.quantity = quantity
                line.save(update_fields=["quantity"])


def order_number_new() -> str:
    return random_code(0, 8, prefix="SO")


def _create_order(**fields) -> Order:
    return create_numbered(Order, order_number_new, **fields)


class CartChanged(Exception):
    """The cart holds a device of a site that no delivery address was given for (the cart or
    a device's site changed while the checkout page was open)."""


CONTACT_FIELDS = ("contact_name", "contact_phone", "notes")
ADDRESS_FIELDS = ("street", "postal_code", "city", "country", "building_floor_room")


@transaction.atomic
def orders_place_from_cart(*, user, ship_to: dict, addresses: dict | None = None) -> list[Order]:
    """One order per device of the cart; the cart is emptied. A device on hold refuses.

    ``ship_to``: the contact (and, without ``addresses``, the one address for every order);
    ``addresses``: the delivery address of each site of the cart by site id (None: the
    devices without a site), each order going to its own device's site. A site of the cart
    missing from it refuses the whole cart (CartChanged), nothing is ordered.

    Only devices the user may still see are ordered for (a user moved to another account
    keeps nothing of the old one's in a cart)."""
    visible = Device.objects.for_user(user).values("pk")
    lines = list(
        CartLine.objects.select_for_update(of=("self",))
        .filter(user=user, device__in=visible)
        .select_related("device", "item")
    )
    if not lines:
        return []
    held = [line.device for line in lines if line.device.supplies_on_hold]
    if held:
        raise SuppliesOnHold(held[0].supplies_hold_reason)
    if addresses is not None:
        missing = {line.device.site_id for line in lines} - set(addresses)
        if missing:
            raise CartChanged(missing)
        contact = {key: value for key, value in ship_to.items() if key in CONTACT_FIELDS}
    orders = []
    by_device: dict[int, list[CartLine]] = {}
    for line in lines:
        by_device.setdefault(line.device_id, []).append(line)
    for device_lines in by_device.values():
        device = device_lines[0].device
        if addresses is None:
            fields = ship_to
        else:
            address = addresses[device.site_id]
            fields = {**contact, **{key: address.get(key, "") for key in ADDRESS_FIELDS}}
        order = _create_order(
            account_id=device.account_id,
            device=device,
            site_id=device.site_id,
            origin=OrderOrigin.PORTAL,
            created_by=user,
            **fields,
        )
        OrderLine.objects.bulk_create(
            [OrderLine(order=order, item=line.item, quantity=line.quantity) for line in device_lines]
        )
        OrderEvent.objects.create(order=order, key="supplies.order.placed", by=user)
        orders.append(order)
    CartLine.objects.filter(user=user).delete()
    for order in orders:
        order_email_send(order=order, template="placed")
    return orders


@dataclass(frozen=True)
class StatusChange:
    """What ``order_status_change`` did: true when the status changed; ``emailed`` when an
    e-mail to whoever placed the order was queued (so the help desk is told the truth)."""

    changed: bool
    emailed: bool = False

    def __bool__(self) -> bool:
        return self.changed


@transaction.atomic
def order_status_change(*, order: Order, status: str, by=None, note: str = "") -> StatusChange:
    """Move an order on (with its date), record it, and tell the customer by e-mail."""
    locked = Order.objects.select_for_update().get(pk=order.pk)
    if locked.status == status:
        return StatusChange(False)
    locked.status = status
    stamp = {
        "processing": "processing_at",
        "shipped": "shipped_at",
        "delivered": "delivered_at",
        "cancelled": "cancelled_at",
    }
    fields = ["status"]
    if status in stamp:
        setattr(locked, stamp[status], timezone.now())
        fields.append(stamp[status])
    locked.save(update_fields=fields)
    OrderEvent.objects.create(order=locked, key=f"supplies.order.{status}", by=by, note=note[:300])
    order.status = status
    emailed = False
    if status in ("shipped", "cancelled"):
        emailed = order_email_send(order=locked, template=status)
    return StatusChange(True, emailed)


def order_email_send(*, order: Order, template: str) -> bool:
    """Tell whoever placed the order (placed / shipped / cancelled), if they want it: the
    lines as they ship (the specific item that replaced a generic one). True when queued."""
    from accounts.notifications import notify

    kind = "order_placed" if template == "placed" else "order_shipped"
    url = settings.FMP_PUBLIC_URL.rstrip("/") + reverse("supplies:order_detail", args=[order.number])
    return notify(
        user=order.created_by,
        kind=kind,
        template=f"supplies/email/{template}",
        context={"order": order, "url": url},
    )


# --- forecasts and proactive orders ------------------------------------------------------


def ordering_percent(supply: Supply) -> int | None:
    """The level that ordering goes by: the percent, or 0 for a level of 0 whose capacity is
    unknown (an empty cartridge is empty whatever its capacity); None when not known."""
    if supply.percent is not None:
        return supply.percent
    if supply.level == 0:
        return 0
    return None


def supply_forecasts(supplies: list[Supply], *, days: int = 90, devices=None) -> dict[int, float | None]:
    """Days left from now for each supply, from the last ``days`` days of its level history
    (the time since the last reading counts as used: see ``forecast.days_left``).

    ``devices``: a queryset of the supplies' devices, to select the history by a join
    rather than by a list of every supply (a fleet report has tens of thousands)."""
    now = timezone.now()
    since = now - timedelta(days=days)
    series: dict[int, list] = {s.pk: [] for s in supplies}
    samples = SupplyLevelSample.objects.filter(observed_at__gte=since, percent__isnull=False)
    if devices is not None:
        samples = samples.filter(supply__device__in=devices)
    else:
        samples = samples.filter(supply__in=supplies)
    for supply_id, at, percent in (
        samples.order_by("supply_id", "observed_at")
        .values_list("supply_id", "observed_at", "percent")
        .iterator(chunk_size=10000)
    ):
        if supply_id in series:
            series[supply_id].append((at, percent))
    result = {}
    for supply in supplies:
        points = series.get(supply.pk, [])
        if supply.updated_at and (not points or points[-1][0] < supply.updated_at):
            points.append((supply.updated_at, supply.percent))
        result[supply.pk] = days_left(points, now=now) if supply.percent is not None else None
    return result


def _matching_item(device: Device, supply: Supply) -> ConsumableItem | None:
    items = orderable_items(device).filter(type=supply.type)
    if supply.colour:
        items = items.filter(colour=supply.colour)
    return items.order_by("generic", "part_number").first()


def proactive_orders_place(*, device_ids: list[int] | None = None) -> list[Order]:
    """Order toner and ink that runs low: forecast under the lead time, or level under the threshold.

    Never for a device on hold, never twice for the same supply while an order is open
    (the database refuses a second automatic one), nor while a delivered or cancelled order
    still covers it (see ``_covered``), and each order says why it was placed. A level of 0
    with an unknown capacity is empty.
    """
    supplies = Supply.objects.filter(
        Q(percent__isnull=False, percent__lte=settings.FMP_SUPPLY_FORECAST_BELOW_PERCENT)
        | Q(percent__isnull=True, level=0),
        type__in=["toner", "ink"],
        device__in=Device.objects.monitored().filter(supplies_on_hold=False, under_contract=True),
    ).select_related("device__model", "device__site")
    if device_ids is not None:
        supplies = supplies.filter(device_id__in=device_ids)
    supplies = list(supplies)
    forecasts = supply_forecasts(supplies)
    placed = []
    for supply in supplies:
        left = forecasts.get(supply.pk)
        low = ordering_percent(supply) <= settings.FMP_SUPPLY_ORDER_BELOW_PERCENT
        soon = left is not None and left <= settings.FMP_SUPPLY_LEAD_DAYS
        if not (low or soon):
            continue
        order = _automatic_order(supply, left)
        if order is not None:
            placed.append(order)
    return placed


def _supply_key(supply: Supply) -> str:
    return f"supply-{supply.index}"


def _orders_for_supply(supply: Supply):
    """The device's present account's orders for this supply: automatic ones for its index,
    portal ones with a line of its type and colour. (A previous account's are theirs: the
    device moved since.)"""
    device = supply.device
    lines = OrderLine.objects.filter(item__type=supply.type, item__colour=supply.colour)
    return Order.objects.filter(device=device, account_id=device.account_id).filter(
        Q(origin=OrderOrigin.AUTOMATIC, supply_key=_supply_key(supply))
        | Q(origin=OrderOrigin.PORTAL, pk__in=lines.values("order_id"))
    )


def _replaced_since(supply: Supply, moment) -> bool:
    """Whether a new cartridge has been seen in the supply's levels since ``moment`` (the
    reading just before it counts as where the level stood)."""
    before = (
        SupplyLevelSample.objects.filter(supply=supply, observed_at__lt=moment, percent__isnull=False)
        .order_by("-observed_at")
        .values_list("observed_at", "percent")
        .first()
    )
    points = [before] if before else []
    points += list(
        SupplyLevelSample.objects.filter(supply=supply, observed_at__gte=moment, percent__isnull=False)
        .order_by("observed_at")
        .values_list("observed_at", "percent")
    )
    if supply.updated_at and supply.percent is not None and (not points or points[-1][0] < supply.updated_at):
        points.append((supply.updated_at, supply.percent))
    return replaced_since(points, moment)


def _covered(supply: Supply) -> bool:
    """Whether an order already covers this supply, so no automatic order is placed:

    - an open order (automatic for this supply, or a portal one for its type and colour);
    - a delivered one, until the new cartridge is seen in the levels (the delivery usually
      comes before the old one is empty: that is the lead time) or
      FMP_SUPPLY_DELIVERED_GRACE_DAYS have passed since the delivery;
    - a cancelled automatic one, until the help desk allows re-ordering (admin action) or a
      new cartridge is seen in the levels.
    """
    orders = _orders_for_supply(supply)
    if orders.filter(status__in=OPEN_ORDER_STATUSES).exists():
        return True
    grace = timezone.now() - timedelta(days=settings.FMP_SUPPLY_DELIVERED_GRACE_DAYS)
    # The latest of each kind decides: a new cartridge seen since it was placed has been
    # seen since any earlier one too.
    delivered = (
        orders.filter(status=OrderStatus.DELIVERED)
        .filter(Q(delivered_at__gte=grace) | Q(delivered_at__isnull=True, created_at__gte=grace))
        .order_by("-created_at")
        .values_list("created_at", flat=True)
        .first()
    )
    if delivered is not None and not _replaced_since(supply, delivered):
        return True
    cancelled = (
        orders.filter(
            origin=OrderOrigin.AUTOMATIC, status=OrderStatus.CANCELLED, reorder_allowed_at__isnull=True
        )
        .order_by("-created_at")
        .values_list("created_at", flat=True)
        .first()
    )
    return cancelled is not None and not _replaced_since(supply, cancelled)


@transaction.atomic
def orders_allow_reorder(*, orders, by=None) -> int:
    """The help desk lets the proactive run order again for the supplies of these cancelled
    automatic orders (a cancelled one otherwise holds its supply until a new cartridge is seen)."""
    count = 0
    for order in Order.objects.select_for_update().filter(
        pk__in=[o.pk for o in orders],
        origin=OrderOrigin.AUTOMATIC,
        status=OrderStatus.CANCELLED,
        reorder_allowed_at__isnull=True,
    ):
        order.reorder_allowed_at = timezone.now()
        order.save(update_fields=["reorder_allowed_at"])
        OrderEvent.objects.create(order=order, key="supplies.order.reorder_allowed", by=by)
        count += 1
    return count


def _automatic_order(supply: Supply, left: float | None) -> Order | None:
    device = supply.device
    key = _supply_key(supply)
    if _covered(supply):
        return None
    item = _matching_item(device, supply)
    if item is None:
        return None
    site = device.site
    address = site.delivery_address() if site else {}
    old = level_is_old(supply.updated_at, old_after_days=settings.FMP_SUPPLY_LEVEL_OLD_DAYS)
    # Stored as a code: each reader reads it in their language (fmp.texts).
    reason = Text(
        "supplies.order.reason.automatic",
        supply=supply.description or item.description,
        percent=ordering_percent(supply),
        days_left=round(left, 1) if left is not None else None,
        old_days=max(1, int((timezone.now() - supply.updated_at).total_seconds() // 86400)) if old else None,
    )
    try:
        with transaction.atomic():
            order = _create_order(
                account_id=device.account_id,
                device=device,
                site=site,
                origin=OrderOrigin.AUTOMATIC,
                supply_key=key,
                **text_fields("reason", reason, max_length=300),
                contact_name=device.primary_contact_email or "-",
                contact_phone="-",
                street=address.get("street") or "-",
                postal_code=address.get("postal_code", ""),
                city=address.get("city") or "-",
                country=address.get("country") or "-",
                building_floor_room=address.get("building_floor_room", ""),
            )
            OrderLine.objects.create(order=order, item=item, quantity=1)
            OrderEvent.objects.create(
                order=order, key="supplies.order.automatic", **text_fields("note", reason, max_length=300)
            )
    except IntegrityError:
        return None  # another worker placed it at the same moment
    return order
