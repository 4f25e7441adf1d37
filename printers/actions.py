"""The actions menu over the printers grid: each action, its permission and its handler.

A handler gets the devices the user may see and act on, and returns one message per
device (or a redirect for actions that open another flow).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class PrinterAction:
    label: str
    permission: str
    # "bulk": runs on every selected device; "flow": opens a page for one device;
    # "form": opens a form for the selected devices.
    kind: str
    url_name: str = ""
    query: str = "device"
    # A bulk action that disturbs the devices (a reset interrupts printing) first shows
    # the selected printers and runs only once the user confirms.
    confirm: bool = False


ACTIONS: dict[str, PrinterAction] = {
    "contract_under": PrinterAction(_("Set under contract"), "accounts.change_contract", "bulk"),
    "contract_out": PrinterAction(_("Set out of contract"), "accounts.change_contract", "bulk"),
    "refresh": PrinterAction(_("Get printer status"), "accounts.refresh_status", "bulk"),
    "reset": PrinterAction(_("Reset printer"), "accounts.reset_device", "bulk", confirm=True),
    "test_page": PrinterAction(_("Print test page"), "accounts.reset_device", "bulk"),
    "location": PrinterAction(
        _("Update location"), "accounts.update_location", "form", "printers:printer_location"
    ),
    "order": PrinterAction(_("Order supplies"), "accounts.order_supplies", "flow", "supplies:order_start"),
    "counters": PrinterAction(_("Show counters"), "", "flow", "printers:printer_detail"),
    "meter_read": PrinterAction(
        _("Submit meter reads"), "accounts.submit_meter_reads", "flow", "meters:meter_list"
    ),
    "service": PrinterAction(_("Request service"), "accounts.request_service", "flow", "tickets:ticket_new"),
}
