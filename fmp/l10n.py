"""Numbers, percentages and durations written the way the reader's language writes them.

Django's formats (``fmp/formats/<lang>/formats.py`` over Django's own) decide the digit
grouping and the decimal separator; the same modules hold the portal's own entries
(``PERCENT_FORMAT``, ``CSV_DELIMITER``), read here. Everything follows the active language
(the user's, or the recipient's in an e-mail)."""

from __future__ import annotations

import math
from datetime import timedelta

from django.conf import settings
from django.utils import formats, translation
from django.utils.translation import gettext, ngettext


def locale_format(name: str, default: str) -> str:
    """A portal format entry (e.g. ``PERCENT_FORMAT``) of the active language."""
    language = translation.get_language() or settings.LANGUAGE_CODE
    for module in formats.get_format_modules(language):
        value = getattr(module, name, None)
        if value is not None:
            return value
    return default


def format_number(value, decimals: int | None = None) -> str:
    """ "1 234" in French, "1,234" in English (grouped even below 10,000)."""
    return formats.number_format(value, decimal_pos=decimals, force_grouping=True)


def format_percent(value, decimals: int | None = None) -> str:
    """ "45 %" in French (narrow no-break space), "45%" in English."""
    return locale_format("PERCENT_FORMAT", "{}%").format(format_number(value, decimals))


def duration_words(value: timedelta | int | float | None) -> str:
    """A delay in words, in the largest unit it is a whole number of: "30 minutes",
    "24 hours" (not 1,440 minutes), "3 days"; "1 hour and 30 minutes" otherwise. Whole
    days are said from two days on ("within 24 hours" reads better than "within 1 day").
    ``value`` is a timedelta or a number of seconds; a part of a minute counts as one."""
    if value is None:
        return ""
    seconds = value.total_seconds() if isinstance(value, timedelta) else float(value)
    minutes = max(0, math.ceil(seconds / 60))
    if minutes >= 2 * 1440 and minutes % 1440 == 0:
        days = minutes // 1440
        return ngettext("%(n)d day", "%(n)d days", days) % {"n": days}
    hours, rest = divmod(minutes, 60)
    minutes_text = ngettext("%(n)d minute", "%(n)d minutes", rest) % {"n": rest}
    if not hours:
        return minutes_text
    hours_text = ngettext("%(n)d hour", "%(n)d hours", hours) % {"n": hours}
    if not rest:
        return hours_text
    return gettext("%(hours)s and %(minutes)s") % {"hours": hours_text, "minutes": minutes_text}
