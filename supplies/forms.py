from __future__ import annotations

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from supplies.choices import OrderOrigin, OrderStatus
from supplies.models import Order
from supplies.services import MAX_QUANTITY


class AddToCartForm(forms.Form):
    item = forms.IntegerField(widget=forms.HiddenInput)
    quantity = forms.IntegerField(
        label=_("Quantity"),
        min_value=1,
        max_value=MAX_QUANTITY,
        initial=1,
        error_messages={
            "min_value": _("Order at least one."),
            "max_value": _("At most %(limit_value)s of an item per order: contact the help desk for more."),
            "invalid": _("Enter a whole number."),
        },
    )


class ContactForm(forms.Form):
    """Who receives the deliveries of a checkout (one person for all of its orders)."""

    contact_name = forms.CharField(label=_("Contact name"), max_length=150)
    contact_phone = forms.RegexField(
        label=_("Phone"),
        max_length=40,
        regex=r"^[0-9+()./ -]{6,40}$",
        error_messages={"invalid": _("Enter a phone number (digits, spaces, + ( ) . - /).")},
    )
    notes = forms.CharField(
        label=_("Notes"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000, required=False
    )


REQUIRED_ADDRESS_FIELDS = ("street", "city", "country")


class AddressForm(forms.Form):
    """Where one site's orders go (one such form per site of the cart, prefixed by it)."""

    street = forms.CharField(label=_("Street"), max_length=200)
    postal_code = forms.CharField(label=_("Postal code"), max_length=20, required=False)
    city = forms.CharField(label=_("City"), max_length=100)
    country = forms.CharField(label=_("Country"), max_length=100)
    building_floor_room = forms.CharField(label=_("Building, floor, room"), max_length=200, required=False)


class ShipToForm(ContactForm, AddressForm):
    """Contact and one address: the delivery fields of a single order."""


class OrderFilterSet(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(
        choices=OrderStatus.choices, label=_("Status"), widget=forms.CheckboxSelectMultiple
    )
    origin = django_filters.ChoiceFilter(choices=OrderOrigin.choices, label=_("Origin"))
    device = django_filters.CharFilter(method="filter_device", label=_("Device (serial number)"))

    class Meta:
        model = Order
        fields = ["status", "origin", "device"]

    def filter_device(self, queryset, name, value):
        value = value.strip()[:100]
        return queryset.filter(device__serial_number__icontains=value) if value else queryset
