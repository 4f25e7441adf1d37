from __future__ import annotations

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import Site
from fmp.ids import parse_id
from printers.models import Device
from tickets.choices import Severity, TicketOrigin, TicketState
from tickets.models import Application, ApplicationCategory, ServiceType, Ticket
from tickets.selectors import hide_automatic


class ServiceSelect(forms.Select):
    """Marks the services that ask for the MPS application fields (shown or hidden by fmp.js)."""

    def create_option(self, name, value, *args, **kwargs):
        option = super().create_option(name, value, *args, **kwargs)
        instance = getattr(value, "instance", None)
        if instance is not None and instance.is_application_support:
            option["attrs"]["data-mps"] = "1"
        return option


class ServiceChoiceField(forms.ModelChoiceField):
    widget = ServiceSelect

    def label_from_instance(self, obj):
        return obj.label


class TicketDetailsForm(forms.Form):
    """The "Ticket details" block; fields depend on the service (MPS application support)."""

    service = ServiceChoiceField(
        label=_("Service required"),
        queryset=ServiceType.objects.none(),
        empty_label=_("Choose the service…"),
        error_messages={"required": _("Choose the service you need.")},
    )
    severity = forms.TypedChoiceField(
        label=_("Severity"),
        choices=[("", "---------"), *Severity.choices],
        coerce=int,
        required=False,
        empty_value=None,
    )
    category = forms.ModelChoiceField(
        label=_("Application category"), queryset=ApplicationCategory.objects.all(), required=False
    )
    application = forms.ModelChoiceField(
        label=_("Application"), queryset=Application.objects.filter(active=True), required=False
    )
    source_reference = forms.CharField(label=_("Source system reference #"), max_length=100, required=False)
    summary = forms.CharField(label=_("Summary"), max_length=200)
    description = forms.CharField(
        label=_("Description"),
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("Describe the problem clearly: an unclear description may delay the service."),
    )
    contact_name = forms.CharField(label=_("Other contact: name"), max_length=150, required=False)
    contact_email = forms.EmailField(label=_("Other contact: e-mail"), required=False)
    contact_phone = forms.CharField(label=_("Other contact: phone"), max_length=40, required=False)

    def __init__(self, *args, device=None, **kwargs):
        super().__init__(*args, **kwargs)
        services = ServiceType.objects.filter(active=True)
        if device is None:
            services = services.filter(requires_device=False)
        self.fields["service"].queryset = services
        self.device = device
        # The application list follows the category (htmx refills it in the browser).
        category = self.data.get("category") if self.is_bound else self.initial.get("category")
        applications = Application.objects.none()
        if parse_id(category) is not None:
            applications = Application.objects.filter(active=True, category_id=parse_id(category))
        self.fields["application"].queryset = applications

    def clean_description(self):
        text = self.cleaned_data["description"].strip()
        if len(text) < 10:
            raise forms.ValidationError(_("Describe the request in a few words at least (10 characters)."))
        return text

    def clean(self):
        data = super().clean()
        service = data.get("service")
        if service and service.is_application_support:
            if not data.get("severity"):
                self.add_error("severity", _("Choose the severity (1 to 4)."))
            if not data.get("category"):
                self.add_error("category", _("Choose the application category."))
            application = data.get("application")
            if not application:
                self.add_error("application", _("Choose the application."))
            elif data.get("category") and application.category_id != data["category"].pk:
                self.add_error("application", _("This application is not in the chosen category."))
        if (data.get("contact_email") or data.get("contact_phone")) and not data.get("contact_name"):
            self.add_error("contact_name", _("Give the name of the other contact person."))
        return data


class CommentForm(forms.Form):
    text = forms.CharField(
        label=_("Add a comment"), widget=forms.Textarea(attrs={"rows": 3}), max_length=5000
    )

    def clean_text(self):
        text = self.cleaned_data["text"].strip()
        if not text:
            raise forms.ValidationError(_("Write something before sending."))
        return text


class TicketFilterSet(django_filters.FilterSet):
    state = django_filters.MultipleChoiceFilter(
        choices=TicketState.choices, label=_("Ticket state"), widget=forms.CheckboxSelectMultiple
    )
    service = django_filters.ModelChoiceFilter(queryset=ServiceType.objects.all(), label=_("Service"))
    device = django_filters.CharFilter(method="filter_device", label=_("Device (serial number)"))
    site = django_filters.ModelChoiceFilter(queryset=Site.objects.none(), label=_("Site"))
    origin = django_filters.ChoiceFilter(choices=TicketOrigin.choices, label=_("Origin"))
    hide_automatic = django_filters.BooleanFilter(
        method="filter_hide_automatic",
        label=_("Hide automatic tickets"),
        widget=forms.CheckboxInput,
    )
    since = django_filters.DateFilter(
        field_name="occurred_at",
        lookup_expr="date__gte",
        label=_("From"),
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    until = django_filters.DateFilter(
        field_name="occurred_at",
        lookup_expr="date__lte",
        label=_("To"),
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    class Meta:
        model = Ticket
        fields = ["state", "service", "device", "site", "origin", "hide_automatic", "since", "until"]

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.filters["site"].queryset = Site.objects.for_user(user) if user else Site.objects.none()

    def filter_hide_automatic(self, queryset, name, value):
        return hide_automatic(queryset) if value else queryset

    def filter_device(self, queryset, name, value):
        value = value.strip()[:100]
        return queryset.filter(device__serial_number__icontains=value) if value else queryset


def devices_for(user):
    return (
        Device.objects.for_user(user).select_related("model__manufacturer", "site").order_by("serial_number")
    )
