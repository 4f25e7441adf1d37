from __future__ import annotations

from datetime import timedelta

from django import template
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from printers.choices import OVERALL_STATE_LABELS, PrinterState, condition_label

register = template.Library()


@register.filter
def condition_labels(conditions) -> str:
    """ "Paper out, Input tray empty, Intervention required" from stored condition codes."""
    if not conditions:
        return ""
    return ", ".join(str(condition_label(code)) for code in conditions)


@register.filter
def overall_label(value) -> str:
    return str(OVERALL_STATE_LABELS.get(value or "other", OVERALL_STATE_LABELS["other"]))


@register.filter
def state_badge(value) -> str:
    return PrinterState.badge(value or "other")


@register.filter
def state_icon(value) -> str:
    return PrinterState.icon(value or "other")


@register.filter
def command_badge(status) -> str:
    """The badge colour of a site collector command's status."""
    return {"pending": "secondary", "delivered": "info", "done": "success", "failed": "danger"}.get(
        status, "warning"
    )


@register.filter
def duration(seconds) -> str:
    """ "69 day(s), 23 hour(s), 41 minute(s)" as in the guide; "-" when unknown."""
    if seconds is None:
        return "-"
    if isinstance(seconds, timedelta):
        seconds = int(seconds.total_seconds())
    try:
        seconds = int(seconds)
    except (TypeError, ValueError):
        return "-"
    if seconds < 0:
        return "-"
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    parts = []
    if days:
        parts.append(ngettext("%(n)d day", "%(n)d days", days) % {"n": days})
    if days or hours:
        parts.append(ngettext("%(n)d hour", "%(n)d hours", hours) % {"n": hours})
    parts.append(ngettext("%(n)d minute", "%(n)d minutes", minutes) % {"n": minutes})
    return ", ".join(parts)


@register.filter
def age_since(moment) -> str:
    if not moment:
        return "-"
    return duration(int((timezone.now() - moment).total_seconds()))


@register.filter
def ago_short(moment) -> str:
    """ "3 h ago": the age of data, compact enough for a grid cell."""
    if not moment:
        return "-"
    seconds = max(0, int((timezone.now() - moment).total_seconds()))
    if seconds < 3600:
        age = _("%(n)d min") % {"n": seconds // 60}
    elif seconds < 2 * 86400:
        age = _("%(n)d h") % {"n": seconds // 3600}
    else:
        age = _("%(n)d d") % {"n": seconds // 86400}
    return _("%(age)s ago") % {"age": age}


@register.filter
def yes_no(value) -> str:
    return _("Yes") if value else _("No")


@register.simple_tag
def level(percent, present=True):
    """A toner level: bar plus number; "-" when the device has no such colour (the grid's cell)."""
    from printers.tables import level_html

    return level_html(percent, present)


@register.filter
def days_left(days, style: str = "") -> str:
    """A supply forecast in words, singular and plural right ("short": without "left")."""
    from supplies.forecast import days_left_label

    return days_left_label(days, short=style == "short")
