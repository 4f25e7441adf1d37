"""The printers grid. Cells are rendered in Python (format_html): 50 rows × 10 columns
through the template engine cost more than the whole SQL query at 10,000 devices."""

from __future__ import annotations

import django_tables2 as tables
from django.db.models import F
from django.urls import reverse
from django.utils.formats import number_format
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from fmp.l10n import format_percent
from fmp.tables import FROM_LG, FROM_MD, FROM_XL, BaseTable, truncated
from meters.choices import ReadStatus
from meters.services import read_status
from printers.choices import PrinterState
from printers.models import Device
from printers.templatetags.printers_tags import ago_short, condition_labels, overall_label
from tickets.choices import TicketState

INCIDENT_BADGES = {"new": "primary", "in_progress": "warning", "done": "success"}


def level_html(percent, present: bool):
    """A toner level as a bar and a number; "-" when the device has no such colour."""
    if not present:
        return mark_safe('<span class="text-body-secondary">-</span>')
    if percent is None:
        return format_html('<span class="text-body-secondary" title="{}">?</span>', _("Level unknown"))
    colour = "bg-danger" if percent <= 10 else "bg-warning" if percent <= 25 else "bg-success"
    text = format_percent(percent)  # "45 %" in French, "45%" in English
    return format_html(
        '<div class="fmp-level" title="{1}"><div class="progress" role="progressbar" aria-valuenow="{0}" '
        'aria-valuemin="0" aria-valuemax="100" aria-label="{1}"><div class="progress-bar {2}" '
        'style="width: {0}%"></div></div><small>{1}</small></div>',
        percent,
        text,
        colour,
    )


class LevelColumn(tables.Column):
    def __init__(self, colour: str, verbose_name, cell_class: str = "", **kwargs):
        super().__init__(
            accessor="pk",
            verbose_name=verbose_name,
            order_by=(f"state__level_{colour}",),
            attrs={"td": {"class": f"fmp-level-cell {cell_class}".strip()}, "th": {"class": cell_class}},
            **kwargs,
        )
        self.colour = colour

    def render(self, record):
        state = getattr(record, "state", None)
        if state is None:
            return level_html(None, False)
        return level_html(
            getattr(state, f"level_{self.colour}"), self.colour in (state.colours_present or [])
        )

    def order(self, queryset, is_descending):
        field = F(f"state__level_{self.colour}")
        ordering = field.desc(nulls_last=True) if is_descending else field.asc(nulls_last=True)
        return queryset.order_by(ordering, "pk"), True


class PrinterTable(BaseTable):
    """The printers grid of the guide."""

    selection = tables.CheckBoxColumn(
        accessor="pk",
        attrs={
            "th__input": {"data-fmp-select-all": "1", "aria-label": gettext_lazy("Select all")},
            "td__input": {"form": "printer-actions", "name": "devices", "aria-label": gettext_lazy("Select")},
        },
        orderable=False,
    )
    state = tables.Column(
        accessor="pk", verbose_name=gettext_lazy("State"), order_by=("state_rank", "serial_number")
    )
    incident = tables.Column(
        accessor="pk",
        verbose_name=gettext_lazy("Incident"),
        orderable=False,
        attrs={"cell": {"class": f"fmp-incident-cell {FROM_MD}"}},
    )
    account = tables.Column(
        accessor="account__name",
        verbose_name=gettext_lazy("Customer account"),
        order_by=("account__name", "serial_number"),
        attrs={"cell": {"class": f"fmp-text-cell {FROM_XL}"}},
    )
    model = tables.Column(
        accessor="model__name",
        verbose_name=gettext_lazy("Model"),
        default="-",
        attrs={"cell": {"class": "fmp-wrap-cell"}},
    )
    serial_number = tables.Column(verbose_name=gettext_lazy("Serial number"), default="-")
    black = LevelColumn("black", gettext_lazy("Black"))
    cyan = LevelColumn("cyan", gettext_lazy("Cyan"), FROM_LG)
    magenta = LevelColumn("magenta", gettext_lazy("Magenta"), FROM_LG)
    yellow = LevelColumn("yellow", gettext_lazy("Yellow"), FROM_LG)
    total_pages = tables.Column(
        accessor="pk",
        verbose_name=gettext_lazy("Total page count"),
        order_by=("state__total_pages",),
        attrs={"cell": {"class": f"text-end {FROM_LG}"}},
    )

    class Meta(BaseTable.Meta):
        model = Device
        fields = ()
        sequence = (
            "selection",
            "state",
            "incident",
            "account",
            "model",
            "serial_number",
            "black",
            "cyan",
            "magenta",
            "yellow",
            "total_pages",
        )
        order_by = ("-state",)
        row_attrs = {"data-device": lambda record: record.pk}

    def render_state(self, record):
        state = getattr(record, "state", None)
        overall = state.overall if state else "other"
        parts = [
            format_html(
                '<span class="text-{} fs-5" title="{}"><i class="bi bi-{}"></i></span>',
                PrinterState.badge(overall),
                overall_label(overall),
                PrinterState.icon(overall),
            )
        ]
        if state is not None and not state.reachable:
            parts.append(
                format_html('<i class="bi bi-wifi-off text-danger" title="{}"></i>', _("Not answering"))
            )
        if record.refresh_pending:
            parts.append(
                format_html(
                    '<span class="badge text-bg-info" data-testid="refresh-pending" title="{}">'
                    '<i class="bi bi-arrow-repeat"></i></span>',
                    _("Status refresh requested"),
                )
            )
        if record.newly_discovered:
            # Not the incident's "New" ticket badge: another colour, an icon and a tooltip.
            parts.append(
                format_html(
                    '<span class="badge rounded-pill bg-primary-subtle text-primary-emphasis border '
                    'border-primary-subtle" data-testid="new-device" tabindex="0" data-bs-toggle="tooltip" '
                    'title="{}"><i class="bi bi-plus-circle" aria-hidden="true"></i> <span class="fmp-badge-label">{}</span></span>',
                    _("New device: discovered on your network recently and not reviewed yet."),
                    _("New"),
                )
            )
        meter = read_status(
            last_read_at=getattr(record, "last_read_at", None), automatic=record.managed_by_snmp
        )
        if meter in (ReadStatus.DUE, ReadStatus.OVERDUE):
            parts.append(
                format_html(
                    '<span class="badge text-bg-{}" data-testid="grid-read-status" title="{}"><i class="bi bi-speedometer2"></i></span>',
                    ReadStatus.badge(meter),
                    _("Meter read %(status)s") % {"status": ReadStatus(meter).label.lower()},
                )
            )
        age = ago_short(state.status_at) if state and state.status_at else _("never polled")
        parts.append(format_html('<div class="small text-body-secondary fmp-age">{}</div>', age))
        return format_html_join(" ", "{}", ((p,) for p in parts))  # spaces: badges may wrap

    def render_incident(self, record):
        state = getattr(record, "state", None)
        text = condition_labels(state.conditions) if state else ""
        html = truncated(text, testid="incident-text") if text else ""
        if record.incident_state in INCIDENT_BADGES:
            label = TicketState(record.incident_state).label
            html = format_html(
                '{} <span class="badge text-bg-{}" data-testid="incident-state" tabindex="0" '
                'data-bs-toggle="tooltip" title="{}"><i class="bi bi-ticket-perforated" aria-hidden="true">'
                "</i> {}</span>",
                html,
                INCIDENT_BADGES[record.incident_state],
                _("Service ticket of this incident: %(state)s") % {"state": label},
                label,
            )
        return html

    def render_serial_number(self, record):
        return format_html(
            '<a href="{}">{}</a>',
            reverse("printers:printer_detail", args=[record.pk]),
            record.serial_number or "-",
        )

    def render_total_pages(self, record):
        state = getattr(record, "state", None)
        if state is None or state.total_pages is None:
            return "-"
        return number_format(state.total_pages, force_grouping=True)

    def order_total_pages(self, queryset, is_descending):
        field = F("state__total_pages")
        return queryset.order_by(
            field.desc(nulls_last=True) if is_descending else field.asc(nulls_last=True), "pk"
        ), True


def _freeze_signatures(*classes) -> None:
    """django-tables2 inspects each render method's signature for every cell (500 per page);
    a precomputed ``__signature__`` makes that lookup free."""
    import inspect

    for cls in classes:
        for name, attr in vars(cls).items():
            if (name == "render" or name.startswith("render_")) and callable(attr):
                attr.__signature__ = inspect.signature(attr)


_freeze_signatures(PrinterTable, LevelColumn)
