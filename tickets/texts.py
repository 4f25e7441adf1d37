"""Texts the tickets app generates: each built by one small function, with a stable code and
its parameters.

The notes on automatic tickets are stored in the site's language (``LANGUAGE_CODE``), as the
other stored texts of the portal are today; the e-mail to the customer is rendered in each
recipient's language from its template (``tickets/email/condition*``) and these labels.
"""

from __future__ import annotations

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext, gettext_lazy

from printers.choices import PrinterCondition, condition_label

# A condition of the device joined its open automatic ticket. Params: condition (code).
CONDITION_ADDED = "tickets.condition.added"
# One condition of an automatic ticket cleared. Params: condition (code).
CONDITION_CLEARED = "tickets.condition.cleared"
# Every condition of an automatic ticket has cleared. No params.
ALL_CONDITIONS_CLEARED = "tickets.conditions.all_cleared"


def condition_added_text(*, condition: str) -> str:
    """CONDITION_ADDED, {"condition": condition}."""
    with translation.override(settings.LANGUAGE_CODE):
        return gettext("Also found on the device: %(condition)s.") % {"condition": condition_label(condition)}


def condition_cleared_text(*, condition: str) -> str:
    """CONDITION_CLEARED, {"condition": condition}."""
    with translation.override(settings.LANGUAGE_CODE):
        return gettext("Cleared: %(condition)s.") % {"condition": condition_label(condition)}


def all_conditions_cleared_text() -> str:
    """ALL_CONDITIONS_CLEARED, {}."""
    with translation.override(settings.LANGUAGE_CODE):
        return gettext("All the conditions of this ticket have cleared: the device works again.")


# What the customer can do about a condition, in the e-mail (lazy: each recipient's language).
CONDITION_HINTS = {
    PrinterCondition.NO_PAPER: gettext_lazy("Load paper into the tray."),
    PrinterCondition.INPUT_TRAY_EMPTY: gettext_lazy("Load paper into the tray."),
    PrinterCondition.INPUT_TRAY_MISSING: gettext_lazy("Put the paper tray back in place."),
    PrinterCondition.DOOR_OPEN: gettext_lazy("Close the printer's doors and covers."),
    PrinterCondition.OUTPUT_FULL: gettext_lazy("Take the printed pages out of the output tray."),
}


def condition_hint(code: str):
    """The lazy hint for a customer condition, or "" (another condition made customer-fixable)."""
    return CONDITION_HINTS.get(code, "")
