"""The texts the portal writes on tickets (``fmp.texts``): worded in each reader's language.

The automatic ones take one parameter, ``condition``: the device's condition code
(``noPaper``), shown by its name in the reader's language ("Paper out", "Fin de papier")."""

from django.utils.translation import gettext_lazy as _

from fmp.texts import Text, register
from printers.choices import PrinterCondition


def _condition_name(params) -> str:
    from printers.choices import condition_label

    return str(condition_label(params["condition"]))


def _about_condition(template):
    """A template worded with the condition's ``%(condition)s`` name and its ``%(code)s``."""

    def render(params) -> str:
        return str(template) % {"condition": _condition_name(params), "code": params["condition"]}

    return render


# An automatic ticket's summary: the condition's name ("Paper out").
register("tickets.automatic.summary", _condition_name)
# Its description: the name and the code the device reported ("Paper out (noPaper)").
register("tickets.automatic.description", _about_condition(_("%(condition)s (%(code)s)")))
# A note on an open automatic ticket: the same device reports another condition.
register(
    "tickets.automatic.condition_added",
    _about_condition(_("The device also reports: %(condition)s")),
)
# A note on an open automatic ticket: one of its conditions cleared on the device.
register(
    "tickets.automatic.condition_cleared",
    _about_condition(_("The device no longer reports: %(condition)s")),
)

# A site collector out of contact (collectors.services): name, host, uid, last (a datetime).
register("tickets.collector.unresponsive.summary", _("Site collector %(name)s is not responding"))
register(
    "tickets.collector.unresponsive.description",
    _(
        "The site collector %(name)s (host %(host)s, id %(uid)s) has not contacted the portal "
        "since %(last)s: the printers it polls are not monitored. Check that the machine is "
        "on and can reach the portal (outbound HTTPS)."
    ),
)
# An automatic ticket closed when a device's open automatic tickets were merged into one.
register("tickets.ticket.merged_into", _("Merged into ticket %(number)s: one automatic ticket per device."))
# Every condition of an automatic ticket has cleared.
register(
    "tickets.automatic.all_cleared",
    _("All the conditions of this ticket have cleared: the device works again."),
)


def condition_added_text(*, condition: str) -> Text:
    return Text("tickets.automatic.condition_added", condition=condition)


def condition_cleared_text(*, condition: str) -> Text:
    return Text("tickets.automatic.condition_cleared", condition=condition)


def all_conditions_cleared_text() -> Text:
    return Text("tickets.automatic.all_cleared")


# What the customer can do about a condition, in the e-mail (lazy: each recipient's language).
CONDITION_HINTS = {
    PrinterCondition.NO_PAPER: _("Load paper into the tray."),
    PrinterCondition.INPUT_TRAY_EMPTY: _("Load paper into the tray."),
    PrinterCondition.INPUT_TRAY_MISSING: _("Put the paper tray back in place."),
    PrinterCondition.DOOR_OPEN: _("Close the printer's doors and covers."),
    PrinterCondition.OUTPUT_FULL: _("Take the printed pages out of the output tray."),
}


def condition_hint(code: str):
    """The lazy hint for a customer condition, or "" (another condition made customer-fixable)."""
    return CONDITION_HINTS.get(code, "")
