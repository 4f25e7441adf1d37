from __future__ import annotations

import django_tables2 as tables
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from fmp.tables import FROM_LG, FROM_MD, FROM_SM, FROM_XL, BaseTable, truncated
from printers.models import Device
from tickets.choices import TicketState
from tickets.models import Ticket


def automatic_badge():
    return format_html(
        '<span class="badge text-bg-light border" title="{}" data-testid="automatic-ticket">'
        '<i class="bi bi-robot" aria-hidden="true"></i> {}</span>',
        _("Opened by monitoring, not by a person"),
        _("Automatic"),
    )


class TicketTable(BaseTable):
    """The guide's ticket columns (open tickets screens and the service requests list)."""

    serial = tables.Column(
        accessor="device__serial_number", verbose_name=_("Hardware: serial number"), default="-"
    )
    manufacturer = tables.Column(
        accessor="device__model__manufacturer__name",
        verbose_name=_("Hardware: manufacturer"),
        default="-",
        attrs={"cell": {"class": FROM_LG}},
    )
    model = tables.Column(
        accessor="device__model__name",
        verbose_name=_("Hardware: model name"),
        default="-",
        attrs={"cell": {"class": f"fmp-wrap-cell {FROM_SM}"}},
    )
    account = tables.Column(
        accessor="account__name", verbose_name=_("Customer account"), attrs={"cell": {"class": FROM_XL}}
    )
    site = tables.Column(
        accessor="site__name",
        verbose_name=_("Hardware: site name"),
        default="-",
        attrs={"cell": {"class": f"fmp-text-cell {FROM_LG}"}},
    )
    number = tables.Column(verbose_name=_("Ticket: ticket number"))
    occurred_at = tables.DateTimeColumn(
        verbose_name=_("Ticket: date of occurrence"),
        format="SHORT_DATETIME_FORMAT",
        attrs={"cell": {"class": FROM_MD}},
    )
    service = tables.Column(
        accessor="service",
        verbose_name=_("Ticket: service"),
        default="-",
        orderable=False,
        attrs={"cell": {"class": f"fmp-wrap-cell {FROM_LG}"}},
    )
    state = tables.Column(verbose_name=_("Ticket: ticket state"), attrs={"cell": {"class": "fmp-badge-wrap"}})
    # In the reader's language when the portal wrote it (fmp.texts); sorted by the stored text.
    summary = tables.Column(
        accessor="summary_shown",
        verbose_name=_("Ticket: summary"),
        order_by="summary",
        attrs={"cell": {"class": "fmp-summary-cell"}},
    )
    last_name = tables.Column(
        accessor="requester__last_name",
        verbose_name=_("Customer: last name"),
        default="-",
        empty_values=(),  # rendered for automatic tickets too (no requester)
        attrs={"cell": {"class": f"fmp-name-cell {FROM_XL}"}},
    )
    first_name = tables.Column(
        accessor="requester__first_name",
        verbose_name=_("Customer: first name"),
        default="-",
        attrs={"cell": {"class": f"fmp-name-cell {FROM_XL}"}},
    )

    class Meta(BaseTable.Meta):
        model = Ticket
        fields = ()
        sequence = (
            "serial",
            "manufacturer",
            "model",
            "account",
            "site",
            "number",
            "occurred_at",
            "service",
            "state",
            "summary",
            "last_name",
            "first_name",
        )
        order_by = ("-occurred_at",)
        empty_text = _("No ticket.")
        # Automatic tickets (opened by monitoring) are marked: tests and styles find them.
        row_attrs = {"data-automatic": lambda record: "1" if record.is_automatic else None}

    def __init__(self, *args, several_accounts: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if not several_accounts:  # the guide's columns; the help desk also sees the account
            self.columns.hide("account")

    def render_number(self, record):
        from django.urls import reverse

        return format_html(
            '<a href="{}">{}</a>', reverse("tickets:ticket_detail", args=[record.number]), record.number
        )

    def render_state(self, record):
        return format_html(
            '<span class="badge text-bg-{}">{}</span>',
            TicketState.badge(record.state),
            record.get_state_display(),
        )

    def render_site(self, value):
        return truncated(value, focusable=False)

    def render_last_name(self, record, value):
        # An automatic ticket has no customer: it says who opened it instead of "-".
        if record.is_automatic and record.requester_id is None:
            return automatic_badge()
        return truncated(value, focusable=False) if value else "-"

    def render_first_name(self, value):
        return truncated(value, focusable=False)

    def render_summary(self, record, value):
        text = truncated(value, testid="ticket-summary")
        if record.is_automatic and record.requester_id is None:
            # Where the customer's column is hidden (below 1200 px), the mark goes with the summary.
            return format_html(
                '<span class="d-xl-none" title="{}" data-testid="automatic-ticket-narrow">'
                '<i class="bi bi-robot" aria-label="{}"></i></span> {}',
                _("Opened by monitoring, not by a person"),
                _("Automatic"),
                text,
            )
        return text

    def render_service(self, record):
        return record.service.label if record.service else "-"


class DeviceChoiceTable(BaseTable):
    """Step 2 of a new request: the devices of the user's profile, with the guide's asset columns."""

    choice = tables.TemplateColumn(
        template_code='{% load l10n %}<input class="form-check-input" type="radio" name="device" '
        'value="{{ record.pk|unlocalize }}" id="device-{{ record.pk|unlocalize }}" '
        'aria-label="{{ record.serial_number }}"{% if record.pk == selected %} checked{% endif %}>',
        verbose_name="",
        orderable=False,
        extra_context={},
    )
    asset_number = tables.Column(verbose_name=_("Asset number"), default="-")
    serial_number = tables.Column(verbose_name=_("Serial number"), default="-")
    manufacturer = tables.Column(
        accessor="model__manufacturer__name", verbose_name=_("Manufacturer"), default="-"
    )
    model = tables.Column(accessor="model__name", verbose_name=_("Model name"), default="-")
    dns_name = tables.Column(verbose_name=_("Device: DNS name"), default="-")
    site = tables.Column(accessor="site__name", verbose_name=_("Location: site name"), default="-")
    city = tables.Column(accessor="site__city", verbose_name=_("Location: city"), default="-")
    primary_contact_email = tables.Column(verbose_name=_("Contacts: primary contact e-mail"), default="-")
    customer_asset_number = tables.Column(verbose_name=_("Printer: customer asset number"), default="-")

    class Meta(BaseTable.Meta):
        model = Device
        fields = ()
        sequence = (
            "choice",
            "asset_number",
            "serial_number",
            "manufacturer",
            "model",
            "dns_name",
            "site",
            "city",
            "primary_contact_email",
            "customer_asset_number",
        )
        per_page = 25
