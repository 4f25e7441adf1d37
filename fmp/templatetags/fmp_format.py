"""Template filters for numbers and delays in the reader's language (``fmp.l10n``).

Registered for every template engine in settings (``{% load fmp_format %}``)."""

from __future__ import annotations

from django import template

from fmp import l10n

register = template.Library()


@register.filter
def percent(value) -> str:
    """ "45 %" in French, "45%" in English; "" when unknown."""
    return "" if value is None or value == "" else l10n.format_percent(value)


@register.filter
def duration_words(value) -> str:
    """A delay (timedelta or seconds) in words: "30 minutes", "24 hours", "3 days"."""
    return l10n.duration_words(value)
