"""The meter reads list: one row per device with its last read and read status."""

from __future__ import annotations

import django_tables2 as tables
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format, number_format
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from fmp.tables import BaseTable
from meters.choices import ReadStatus
from meters.services import read_status
from printers.models import Device


class MeterListTable(BaseTable):
    serial_number = tables.Column(verbose_name=_("Serial number"), default="-")
    account = tables.Column(
        accessor="account__name",
        verbose_name=_("Customer account"),
        order_by=("account__name", "serial_number"),
    )
    model = tables.Column(accessor="model__name", verbose_name=_("Model"), default="-")
    site = tables.Column(accessor="site__name", verbose_name=_("Site"), default="-")
    collection = tables.Column(
        accessor="managed_by_snmp", verbose_name=_("Collection"), attrs={"td": {"class": "small"}}
    )
    last_total = tables.Column(
        verbose_name=_("Last total read"),
        default="-",
        attrs={"td": {"class": "text-end text-nowrap"}, "th": {"class": "text-end"}},
    )
    last_read_at = tables.Column(
        verbose_name=_("Read on"), default="-", attrs={"td": {"class": "small text-nowrap"}}
    )
    read_status = tables.Column(
        accessor="pk", verbose_name=_("Meter read status"), orderable=False, empty_values=()
    )
    enter = tables.Column(
        accessor="pk",
        verbose_name="",
        orderable=False,
        empty_values=(),
        attrs={"td": {"class": "text-end text-nowrap"}},
    )

    class Meta(BaseTable.Meta):
        model = Device
        fields = ()
        sequence = (
            "serial_number",
            "account",
            "model",
            "site",
            "collection",
            "last_total",
            "last_read_at",
            "read_status",
            "enter",
        )
        empty_text = _("No device matches.")
        row_attrs = {"data-testid": "meter-row", "data-device": lambda record: record.pk}

    def __init__(self, *args, can_submit: bool = False, several_accounts: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.can_submit = can_submit
        self.now = timezone.now()
        if not can_submit:
            self.columns.hide("enter")
        if not several_accounts:
            self.columns.hide("account")

    def render_serial_number(self, record, value):
        return format_html('<a href="{}">{}</a>', reverse("printers:printer_detail", args=[record.pk]), value)

    def render_collection(self, value):
        return _("Automatic") if value else _("Manual")

    def render_last_total(self, value):
        return number_format(value, force_grouping=True)

    def render_last_read_at(self, value):
        return date_format(timezone.localtime(value), "SHORT_DATE_FORMAT")

    def render_read_status(self, record):
        status = read_status(last_read_at=record.last_read_at, automatic=record.managed_by_snmp, now=self.now)
        return format_html(
            '<span class="badge text-bg-{}" data-testid="read-status">{}</span>',
            ReadStatus.badge(status),
            ReadStatus(status).label,
        )

    def render_enter(self, record):
        return format_html(
            '<a class="btn btn-sm btn-primary" href="{}">{}</a>',
            reverse("meters:meter_enter", args=[record.pk]),
            _("Enter counters"),
        )
