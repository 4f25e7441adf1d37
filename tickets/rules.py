"""What monitoring does with each device condition it raises (the default rules).

- Conditions the customer fixes themselves (``FMP_CUSTOMER_CONDITIONS``: paper out, input
  tray empty or missing, door open, output tray full) e-mail the account's users who get
  device notifications; no help-desk ticket.
- The other error conditions, and a device that stops answering, open one automatic ticket
  per device (later conditions are added to it while it is open).
- The other warnings (low toner, low paper...) are only shown on the device.

The next issue makes these rules editable; ``condition_action`` is the one place that
decides, so that it can read them from the database then.
"""

from __future__ import annotations

from django.conf import settings

from printers.choices import ERROR_CONDITIONS, UNREACHABLE
from tickets.choices import ConditionAction


def condition_action(code: str, severity: str) -> str:
    """The ``ConditionAction`` for a condition raised with this code and severity."""
    if code in settings.FMP_CUSTOMER_CONDITIONS:
        return ConditionAction.NOTIFY
    if severity == "error" or code in ERROR_CONDITIONS or code == UNREACHABLE:
        return ConditionAction.TICKET
    return ConditionAction.NOTHING
