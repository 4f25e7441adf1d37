from __future__ import annotations

import django_filters
from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.models import Account, Site
from accounts.tenancy import sees_several_accounts
from fmp.ids import parse_id
from printers.choices import PrinterState
from printers.models import Device
from tickets.choices import TicketState

CONTRACT_CHOICES = [
    ("under", _("Under contract (monitored printers)")),
    ("out", _("Out of contract (not monitored)")),
]
INCIDENT_CHOICES = [*TicketState.choices, ("none", _("No incident"))]


class PrinterFilterSet(django_filters.FilterSet):
    """Filters of the printers grid (the guide's four, plus search and site). Drives the CSV too."""

    q = django_filters.CharFilter(method="filter_search", label=_("Search"))
    contract = django_filters.ChoiceFilter(
        choices=CONTRACT_CHOICES,
        method="filter_contract",
        label=_("Under / out of contract"),
        empty_label=_("Both"),
        widget=forms.RadioSelect,
    )
    new = django_filters.BooleanFilter(
        field_name="newly_discovered",
        label=_("Newly discovered devices only"),
        widget=forms.CheckboxInput,
        method="filter_new",
    )
    state = django_filters.MultipleChoiceFilter(
        choices=PrinterState.choices,
        method="filter_state",
        label=_("Printer state"),
        widget=forms.CheckboxSelectMultiple,
    )
    incident = django_filters.MultipleChoiceFilter(
        choices=INCIDENT_CHOICES,
        method="filter_incident",
        label=_("By incident"),
        widget=forms.CheckboxSelectMultiple,
    )
    account = django_filters.ModelChoiceFilter(
        queryset=Account.objects.none(), label=_("Customer account"), empty_label=_("All accounts")
    )
    site = django_filters.ModelChoiceFilter(
        queryset=Site.objects.none(), label=_("Site"), empty_label=_("All sites")
    )

    class Meta:
        model = Device
        fields = ["q", "contract", "new", "state", "incident", "account", "site"]

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.filters["site"].queryset = Site.objects.for_user(user) if user else Site.objects.none()
        if user is not None and sees_several_accounts(user):
            self.filters["account"].queryset = (
                Account.objects.for_user(user).select_related("parent__parent").order_by("name")
            )
            # Sites of several accounts: named with their account, and only the chosen
            # account's once one is chosen.
            sites = Site.objects.for_user(user).select_related("account").order_by("account__name", "name")
            chosen = parse_id(self.data.get("account"))
            if chosen is not None:
                sites = sites.filter(account_id=chosen)
            self.filters["site"].queryset = sites
            self.form.fields["site"].label_from_instance = lambda site: f"{site.account.name} · {site.name}"
        else:
            del self.filters["account"]  # one account: nothing to choose

    def filter_search(self, queryset, name, value):
        return queryset.search(value)

    def filter_contract(self, queryset, name, value):
        if value == "under":
            return queryset.filter(under_contract=True)
        if value == "out":
            return queryset.filter(under_contract=False)
        return queryset

    def filter_new(self, queryset, name, value):
        return queryset.filter(newly_discovered=True) if value else queryset

    def filter_state(self, queryset, name, values):
        if not values:
            return queryset
        condition = Q(state__overall__in=values)
        if PrinterState.OTHER in values:
            condition |= Q(state__isnull=True)
        return queryset.filter(condition)

    def filter_incident(self, queryset, name, values):
        if not values:
            return queryset
        condition = Q(incident_state__in=[v for v in values if v != "none"])
        if "none" in values:
            condition |= Q(incident_state__isnull=True)
        return queryset.filter(condition)
