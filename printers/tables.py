from __future__ import annotations

import django_tables2 as tables
from django.db.models import F
from django.utils.translation import gettext_lazy as _

from fmp.tables import BaseTable
from printers.models import Device


class LevelColumn(tables.TemplateColumn):
    def __init__(self, colour: str, verbose_name, **kwargs):
        super().__init__(
            template_code=(
                "{% load printers_tags %}{% grid_level record '" + colour + "' as lv %}"
                "{% level lv.percent lv.present %}"
            ),
            verbose_name=verbose_name,
            order_by=(f"state__level_{colour}",),
            attrs={"td": {"class": "fmp-level-cell"}},
            **kwargs,
        )
        self.colour = colour

    def order(self, queryset, is_descending):
        field = F(f"state__level_{self.colour}")
        ordering = field.desc(nulls_last=True) if is_descending else field.asc(nulls_last=True)
        return queryset.order_by(ordering, "pk"), True


class PrinterTable(BaseTable):
    """The printers grid of the guide."""

    selection = tables.CheckBoxColumn(
        accessor="pk",
        attrs={
            "th__input": {"data-fmp-select-all": "1", "aria-label": _("Select all")},
            "td__input": {"form": "printer-actions", "name": "devices", "aria-label": _("Select")},
        },
        orderable=False,
    )
    state = tables.TemplateColumn(
        template_name="printers/includes/state_cell.html",
        verbose_name=_("State"),
        order_by=("state_rank", "serial_number"),
    )
    incident = tables.TemplateColumn(
        template_code=(
            "{% load printers_tags %}{% with text=record.state.conditions|condition_labels %}"
            '<span class="d-inline-block text-truncate" style="max-width: 18rem" title="{{ text }}">'
            "{{ text|default:'' }}</span>{% endwith %}"
            "{% if record.incident_state %} {% include 'printers/includes/incident_badge.html' %}{% endif %}"
        ),
        verbose_name=_("Incident"),
        orderable=False,
    )
    model = tables.Column(accessor="model__name", verbose_name=_("Model"), default="-")
    serial_number = tables.TemplateColumn(
        template_code='<a href="{% url \'printers:printer_detail\' record.pk %}">{{ record.serial_number|default:"-" }}</a>',
        verbose_name=_("Serial number"),
        order_by=("serial_number",),
    )
    black = LevelColumn("black", _("Black"))
    cyan = LevelColumn("cyan", _("Cyan"))
    magenta = LevelColumn("magenta", _("Magenta"))
    yellow = LevelColumn("yellow", _("Yellow"))
    total_pages = tables.TemplateColumn(
        template_code="{% load humanize %}{{ record.state.total_pages|intcomma|default:'-' }}",
        verbose_name=_("Total page count"),
        order_by=("state__total_pages",),
        attrs={"td": {"class": "text-end"}, "th": {"class": "text-end"}},
    )

    class Meta(BaseTable.Meta):
        model = Device
        fields = ()
        sequence = (
            "selection",
            "state",
            "incident",
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

    def order_total_pages(self, queryset, is_descending):
        field = F("state__total_pages")
        return queryset.order_by(
            field.desc(nulls_last=True) if is_descending else field.asc(nulls_last=True), "pk"
        ), True
