from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import DetailView, ListView
from django_filters.views import FilterView

from accounts.mixins import TenantScopedMixin
from accounts.models import Site
from accounts.tenancy import sees_account
from fmp.csv import csv_response
from fmp.ids import parse_id
from fmp.paging import ForgivingPaginationMixin
from printers.choices import Colour, SupplyType
from printers.models import Device, Supply
from supplies import services
from supplies.choices import OPEN_ORDER_STATUSES
from supplies.forms import REQUIRED_ADDRESS_FIELDS, AddressForm, AddToCartForm, ContactForm, OrderFilterSet
from supplies.models import CartLine, Order, OrderLine

ORDER_PERMISSION = "accounts.order_supplies"


def orders_rows(queryset):
    return queryset.select_related("device__model", "site", "created_by", "account").prefetch_related(
        Prefetch("lines", queryset=OrderLine.objects.select_related("item", "shipped_item"))
    )


class OrderListView(TenantScopedMixin, ForgivingPaginationMixin, FilterView):
    """The account's supply orders, honouring the user's 90-days setting."""

    model = Order
    filterset_class = OrderFilterSet
    template_name = "supplies/order_list.html"
    paginate_by = 50

    def get_queryset(self):
        return orders_rows(super().get_queryset()).within_history(self.request.user, "created_at")


class OrderDetailView(TenantScopedMixin, DetailView):
    model = Order
    slug_field = "number"
    slug_url_kwarg = "number"
    template_name = "supplies/order_detail.html"
    context_object_name = "order"

    def get_queryset(self):
        return orders_rows(super().get_queryset())

    def get_context_data(self, **kwargs):
        # The device may have moved to another account since: named, no longer linked.
        visible = sees_account(self.request.user, self.object.device.account_id)
        return super().get_context_data(device_visible=visible, **kwargs)


class OrderStartView(TenantScopedMixin, ForgivingPaginationMixin, ListView):
    """Step 1: the devices of the user's profile (searched, paged); "Add supplies" for one."""

    model = Device
    permission_required = ORDER_PERMISSION
    template_name = "supplies/order_start.html"
    context_object_name = "devices"
    paginate_by = 25

    def get(self, request, *args, **kwargs):
        device = parse_id(request.GET.get("device"))
        if device is not None:
            return redirect("supplies:order_device", pk=device)
        return super().get(request, *args, **kwargs)

    def search(self) -> str:
        return self.request.GET.get("q", "").strip()[:100]

    def get_queryset(self):
        devices = super().get_queryset().select_related("model", "site", "state")
        return devices.search(self.search()).order_by("serial_number", "pk")

    def get_context_data(self, **kwargs):
        return super().get_context_data(q=self.search(), **kwargs)


class OrderDeviceView(TenantScopedMixin, View):
    """Step 2: what is orderable for this device, beside its open orders and current levels."""

    model = Device
    permission_required = ORDER_PERMISSION
    template_name = "supplies/order_device.html"

    def context(self, device, form=None):
        supplies = list(device.supplies.all())
        forecasts = services.supply_forecasts(supplies)
        for supply in supplies:
            supply.days_left = forecasts.get(supply.pk)
        return {
            "device": device,
            "items": services.orderable_items(device),
            "open_orders": orders_rows(
                Order.objects.for_user(self.request.user).filter(
                    device=device, status__in=OPEN_ORDER_STATUSES
                )
            ),
            "supplies": supplies,
            "form": form or AddToCartForm(),
            "cart_count": CartLine.objects.filter(user=self.request.user).count(),
            "max_quantity": services.MAX_QUANTITY,
        }

    def get(self, request, pk):
        device = get_object_or_404(self.get_queryset().select_related("model", "site"), pk=pk)
        return render(request, self.template_name, self.context(device))

    def post(self, request, pk):
        device = get_object_or_404(self.get_queryset().select_related("model", "site"), pk=pk)
        form = AddToCartForm(request.POST)
        if not form.is_valid():
            return render(request, self.template_name, self.context(device, form))
        item = services.orderable_items(device).filter(pk=form.cleaned_data["item"]).first()
        if item is None:
            messages.error(request, _("This item cannot be ordered for this device."))
            return redirect("supplies:order_device", pk=device.pk)
        try:
            services.cart_add(
                user=request.user, device=device, item=item, quantity=form.cleaned_data["quantity"]
            )
        except services.SuppliesOnHold as held:
            messages.error(
                request, _("Supplies are on hold for this device: %(reason)s") % {"reason": held or "-"}
            )
            return redirect("supplies:order_device", pk=device.pk)
        except services.QuantityTooHigh as held:
            messages.error(
                request,
                _("The cart already holds %(count)s of this item: at most %(max)s per order.")
                % {"count": held.args[0], "max": services.MAX_QUANTITY},
            )
            return redirect("supplies:order_device", pk=device.pk)
        messages.success(request, _("%(item)s added to the cart.") % {"item": item.name})
        return redirect("supplies:order_device", pk=device.pk)


class CartView(TenantScopedMixin, View):
    """The cart: lines for one or several devices, quantities editable, then Checkout."""

    model = Device
    permission_required = ORDER_PERMISSION

    def lines(self):
        # Lines of devices the user can no longer see are not shown (and not ordered).
        visible = Device.objects.for_user(self.request.user).values("pk")
        return CartLine.objects.filter(user=self.request.user, device__in=visible).select_related(
            "device__model", "item"
        )

    def get(self, request):
        return render(
            request, "supplies/cart.html", {"lines": self.lines(), "max_quantity": services.MAX_QUANTITY}
        )

    def post(self, request):
        # Every line is checked before any is changed: one bad quantity changes nothing.
        quantities = {}
        for line in self.lines():
            raw = request.POST.get(f"qty-{line.pk}")
            if raw is None:
                continue
            if request.POST.get(f"remove-{line.pk}"):
                raw = "0"
            try:
                quantities[line.pk] = int(raw)
            except ValueError:
                messages.error(request, _("Enter whole numbers for the quantities."))
                return redirect("supplies:cart")
        try:
            services.cart_update(user=request.user, quantities=quantities)
        except services.QuantityTooHigh:
            messages.error(
                request, _("Quantities go from 0 (remove) to %(max)s.") % {"max": services.MAX_QUANTITY}
            )
            return redirect("supplies:cart")
        messages.success(request, _("The cart has been updated."))
        return redirect("supplies:cart")


@dataclass
class ShipToGroup:
    """The devices of one site in the checkout, with the address their orders go to."""

    site: Site | None
    lines: list
    form: AddressForm
    incomplete: bool  # the known address lacks a required field: the user is asked for it

    @property
    def prefix(self) -> str:
        return ship_to_prefix(self.site.pk if self.site else None)


def ship_to_prefix(site_id: int | None) -> str:
    return f"site-{site_id or 'none'}"


def _whole(address: dict) -> bool:
    return all((address.get(field) or "").strip() for field in REQUIRED_ADDRESS_FIELDS)


class CheckoutView(CartView):
    """The summary with the delivery fields (required ones marked *), then "Place order".

    The cart's devices are grouped by site, one editable address for each: a site's own
    address, or for devices without a site the user's profile address, each taken whole (a
    site with an incomplete address is completed by the user, never field by field from
    the profile)."""

    def lines(self):
        return super().lines().select_related("device__site")

    def initial_address(self, site) -> dict:
        if site is not None:
            return site.delivery_address()
        user = self.request.user
        return {
            "street": user.street,
            "postal_code": user.postal_code,
            "city": user.city,
            "country": user.country,
            "building_floor_room": "",
        }

    def groups(self, lines, data=None) -> list[ShipToGroup]:
        by_site: dict[int | None, list] = {}
        for line in lines:
            by_site.setdefault(line.device.site_id, []).append(line)
        groups = []
        for site_id, site_lines in by_site.items():
            site = site_lines[0].device.site
            initial = self.initial_address(site)
            form = AddressForm(data, initial=initial, prefix=ship_to_prefix(site_id))
            groups.append(ShipToGroup(site, site_lines, form, incomplete=not _whole(initial)))
        groups.sort(key=lambda g: (g.site is None, g.site.name.lower() if g.site else ""))
        return groups

    def render_page(self, lines, contact, groups):
        return render(
            self.request, "supplies/checkout.html", {"lines": lines, "form": contact, "groups": groups}
        )

    def get(self, request):
        lines = list(self.lines())
        if not lines:
            messages.info(request, _("Your cart is empty."))
            return redirect("supplies:order_start")
        user = request.user
        contact = ContactForm(initial={"contact_name": user.get_full_name(), "contact_phone": user.phone})
        return self.render_page(lines, contact, self.groups(lines))

    def post(self, request):
        lines = list(self.lines())
        if not lines:
            messages.info(request, _("Your cart is empty."))
            return redirect("supplies:order_start")
        contact = ContactForm(request.POST)
        groups = self.groups(lines, request.POST)
        valid = contact.is_valid()
        valid = all(group.form.is_valid() for group in groups) and valid
        if not valid:
            return self.render_page(lines, contact, groups)
        addresses = {group.site.pk if group.site else None: group.form.cleaned_data for group in groups}
        try:
            orders = services.orders_place_from_cart(
                user=request.user, ship_to=contact.cleaned_data, addresses=addresses
            )
        except services.SuppliesOnHold as held:
            messages.error(
                request,
                _("Supplies are on hold for a device of the cart: %(reason)s") % {"reason": held or "-"},
            )
            return redirect("supplies:cart")
        except services.CartChanged:
            messages.error(request, _("The cart has changed meanwhile: check the delivery addresses again."))
            return redirect("supplies:checkout")
        return render(request, "supplies/order_placed.html", {"orders": orders})


@dataclass(frozen=True)
class _SupplyKey:
    """What sorting the fleet's supplies needs (the page's rows are loaded in full)."""

    pk: int
    percent: int | None
    updated_at: datetime | None


class SupplyReportView(TenantScopedMixin, View):
    """Every supply of the fleet with its level and days left, sortable, paged; CSV export.

    Forecasts decide the order, so every supply is forecast; only the shown page is loaded
    as model instances (a 10,000-device fleet has some 40,000 supplies)."""

    model = Device

    def get(self, request):
        devices = self.get_queryset()
        keys = [
            _SupplyKey(*row)
            for row in Supply.objects.filter(device__in=devices)
            .order_by("device__serial_number", "index")
            .values_list("pk", "percent", "updated_at")
        ]
        forecasts = services.supply_forecasts(keys, devices=devices)
        order = request.GET.get("sort", "days")
        if order == "level":
            keys.sort(key=lambda k: (k.percent is None, k.percent if k.percent is not None else 0))
        elif order != "device":
            order = "days"
            keys.sort(key=lambda k: (forecasts[k.pk] is None, forecasts[k.pk] or 0))
        if request.GET.get("export") == "csv":
            return self.csv(devices, [k.pk for k in keys], forecasts)
        page = Paginator(keys, 100).get_page(request.GET.get("page"))
        shown = Supply.objects.select_related("device__model").in_bulk([k.pk for k in page.object_list])
        supplies = [shown[k.pk] for k in page.object_list if k.pk in shown]
        for supply in supplies:
            supply.days_left = forecasts.get(supply.pk)
        return render(
            request,
            "supplies/supply_report.html",
            {"supplies": supplies, "page_obj": page, "sort": order},
        )

    def csv(self, devices, ids: list[int], forecasts: dict[int, float | None]):
        header = [
            _("Serial number"),
            _("Model"),
            _("Site"),
            _("Supply"),
            _("Type"),
            _("Colour"),
            _("Level"),
            _("Days left"),
            _("Last reading"),
        ]
        types, colours = dict(SupplyType.choices), dict(Colour.choices)
        fields = ("device__serial_number", "device__model__name", "device__site__name", "description")
        values = {
            row[0]: row[1:]
            for row in Supply.objects.filter(device__in=devices).values_list(
                "pk", *fields, "type", "colour", "percent", "updated_at"
            )
        }

        def rows():
            for pk in ids:
                if pk not in values:  # removed since the page was sorted
                    continue
                serial, model, site, description, kind, colour, percent, seen_at = values[pk]
                left = forecasts.get(pk)
                yield [
                    serial,
                    model or "",
                    site or "",
                    description,
                    types.get(kind, kind),
                    colours.get(colour, "") if colour else "",
                    "" if percent is None else percent,
                    "" if left is None else round(left),
                    seen_at,
                ]

        return csv_response("supplies.csv", header, rows())
