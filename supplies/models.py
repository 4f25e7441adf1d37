"""Consumables catalogue, carts, supply orders and their history."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.models import Account, Site
from accounts.tenancy import DeviceHistoryRecord, TenantManager
from fmp.texts import StoredText, event_label, local_datetime
from printers.choices import Colour, SupplyType
from supplies.choices import OrderOrigin, OrderStatus


class ConsumableItem(models.Model):
    """An item of the catalogue. A generic item is swapped by the help desk for the model's own when shipping."""

    part_number = models.CharField(_("part number"), max_length=50, unique=True)
    description = models.CharField(_("description"), max_length=200)
    type = models.CharField(_("type"), max_length=20, choices=SupplyType.choices)
    colour = models.CharField(_("colour"), max_length=20, choices=Colour.choices, blank=True)
    yield_pages = models.PositiveIntegerField(_("yield (pages)"), null=True, blank=True)
    compatible_models = models.ManyToManyField(
        "printers.DeviceModel", verbose_name=_("compatible models"), blank=True, related_name="consumables"
    )
    generic = models.BooleanField(
        _("generic"),
        default=False,
        help_text=_("Orderable for every model; swapped for the specific item when shipping."),
    )
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("consumable")
        verbose_name_plural = _("consumables")
        ordering = ["type", "colour", "part_number"]

    def __str__(self) -> str:
        return f"{self.part_number} · {self.name}"

    @property
    def name(self) -> str:
        """The item's name in the active language: a generic item is named in the portal's
        own words ("Black toner"), translated through the catalogue of messages (an unknown
        name is shown as typed); a specific item's name is the maker's, shown as is."""
        return gettext(self.description) if self.generic and self.description else self.description


class CartLine(models.Model):
    """A line of a user's cart (kept across logins until the order is placed)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="cart_lines"
    )
    device = models.ForeignKey(
        "printers.Device", verbose_name=_("device"), on_delete=models.CASCADE, related_name="+"
    )
    item = models.ForeignKey(
        ConsumableItem, verbose_name=_("item"), on_delete=models.CASCADE, related_name="+"
    )
    quantity = models.PositiveSmallIntegerField(_("quantity"), default=1)
    added_at = models.DateTimeField(_("added"), auto_now_add=True)

    class Meta:
        verbose_name = _("cart line")
        verbose_name_plural = _("cart lines")
        ordering = ["device", "item"]
        constraints = [models.UniqueConstraint("user", "device", "item", name="cart_line_unique")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.device_id} {self.item_id} ×{self.quantity}"


class Order(DeviceHistoryRecord):
    """A supply order for one device (from the portal or placed automatically), of the
    account the device had when it was placed (a device moved to another account leaves it
    behind)."""

    number = models.CharField(_("order number"), max_length=12, unique=True)
    account = models.ForeignKey(
        Account, verbose_name=_("account"), on_delete=models.PROTECT, related_name="orders"
    )
    device = models.ForeignKey(
        "printers.Device", verbose_name=_("device"), on_delete=models.PROTECT, related_name="orders"
    )
    site = models.ForeignKey(Site, verbose_name=_("site"), null=True, blank=True, on_delete=models.SET_NULL)
    origin = models.CharField(
        _("origin"), max_length=20, choices=OrderOrigin.choices, default=OrderOrigin.PORTAL
    )
    status = models.CharField(
        _("status"), max_length=20, choices=OrderStatus.choices, default=OrderStatus.SUBMITTED, db_index=True
    )
    created_at = models.DateTimeField(_("date"), auto_now_add=True, db_index=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("ordered by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
    )
    contact_name = models.CharField(_("contact name"), max_length=150)
    contact_phone = models.CharField(_("phone"), max_length=40)
    street = models.CharField(_("street"), max_length=200)
    postal_code = models.CharField(_("postal code"), max_length=20, blank=True)
    city = models.CharField(_("city"), max_length=100)
    country = models.CharField(_("country"), max_length=100)
    building_floor_room = models.CharField(_("building, floor, room"), max_length=200, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    reason = models.CharField(_("why it was ordered"), max_length=300, blank=True)
    reason_code = models.JSONField(
        _("generated text"), null=True, blank=True, editable=False
    )  # fmp.texts: an automatic order's
    reason_shown = StoredText("reason")
    supply_key = models.CharField(
        _("supply of the device"),
        max_length=40,
        blank=True,
        help_text="device supply index of an automatic order",
    )
    processing_at = models.DateTimeField(_("processing since"), null=True, blank=True)
    shipped_at = models.DateTimeField(_("shipped"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled"), null=True, blank=True)
    reorder_allowed_at = models.DateTimeField(
        _("re-ordering allowed"),
        null=True,
        blank=True,
        help_text=_(
            "A cancelled automatic order holds its supply until a new cartridge is seen; "
            "the help desk may allow ordering again sooner."
        ),
    )

    objects = TenantManager()

    class Meta:
        verbose_name = _("supply order")
        verbose_name_plural = _("supply orders")
        ordering = ["-created_at"]
        constraints = [
            # At most one open automatic order per device, supply and account, whatever the
            # workers do: a device moved to another account gets the new account's own.
            models.UniqueConstraint(
                "device",
                "supply_key",
                "account",
                condition=Q(origin="automatic") & Q(status__in=["submitted", "processing", "shipped"]),
                name="order_one_open_automatic_per_supply",
            )
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def status_badge(self) -> str:
        return OrderStatus.badge(self.status)


class OrderLine(models.Model):
    order = models.ForeignKey(Order, verbose_name=_("order"), on_delete=models.CASCADE, related_name="lines")
    item = models.ForeignKey(
        ConsumableItem, verbose_name=_("item"), on_delete=models.PROTECT, related_name="+"
    )
    quantity = models.PositiveSmallIntegerField(_("quantity"))
    shipped_item = models.ForeignKey(
        ConsumableItem,
        verbose_name=_("item shipped"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("The specific item sent for a generic one."),
    )

    class Meta:
        verbose_name = _("order line")
        verbose_name_plural = _("order lines")

    def __str__(self) -> str:
        return f"{self.item} ×{self.quantity}"


class OrderEvent(models.Model):
    """Audit of an order (`supplies.order.shipped`...)."""

    order = models.ForeignKey(Order, verbose_name=_("order"), on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(_("at"), auto_now_add=True)
    key = models.CharField(_("event"), max_length=60)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    note = models.CharField(_("note"), max_length=300, blank=True)
    note_code = models.JSONField(
        _("generated text"), null=True, blank=True, editable=False
    )  # fmp.texts: a note the portal wrote
    note_shown = StoredText("note")

    class Meta:
        verbose_name = _("order event")
        verbose_name_plural = _("order history")
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        # The admin's title of each history row: in the reader's language and time zone.
        return f"{self.label} · {local_datetime(self.at)}"

    @property
    def label(self) -> str:
        """The event's name in the reader's language ("Order shipped")."""
        return event_label(self.key)
