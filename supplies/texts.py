"""The texts the portal writes about supply orders (``fmp.texts``), worded for each reader.

Order event keys (``OrderEvent.key``) are codes: their label is what the admin shows."""

from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from fmp.texts import register


def _automatic_reason(params) -> str:
    """Why a proactive order was placed: "Black toner at 8 %, about 6 days left (old data:
    last reading 20 days ago)". Parameters: ``supply`` (the device's own name of the supply),
    ``percent``, and where known ``days_left`` (a number of days) and ``old_days``."""
    from fmp.l10n import format_percent
    from supplies.forecast import days_left_label

    text = gettext("%(supply)s at %(percent)s") % {
        "supply": params["supply"],
        "percent": format_percent(params["percent"])
        if isinstance(params["percent"], int)
        else params["percent"],
    }
    if params.get("days_left") is not None:
        text += ", " + days_left_label(params["days_left"])
    old = params.get("old_days")
    if old:
        label = ngettext(
            "old data: last reading %(days)d day ago", "old data: last reading %(days)d days ago", old
        )
        text += " (" + label % {"days": old} + ")"
    return text


register("supplies.order.reason.automatic", _automatic_reason)

ORDER_EVENTS = {
    "supplies.order.placed": _("Order placed"),
    "supplies.order.automatic": _("Order placed automatically"),
    "supplies.order.submitted": _("Order submitted again"),
    "supplies.order.processing": _("Order being processed"),
    "supplies.order.shipped": _("Order shipped"),
    "supplies.order.delivered": _("Order delivered"),
    "supplies.order.cancelled": _("Order cancelled"),
    "supplies.order.reorder_allowed": _("Automatic re-ordering allowed"),
}
for key, label in ORDER_EVENTS.items():
    register(key, label)
