"""System checks of the tickets app's settings (``manage.py check``)."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Error, register


@register()
def customer_conditions_known(app_configs, **kwargs):
    """A typo in FMP_CUSTOMER_CONDITIONS would silently open tickets for that condition."""
    from printers.choices import PrinterCondition

    unknown = [c for c in settings.FMP_CUSTOMER_CONDITIONS if c not in PrinterCondition.values]
    if not unknown:
        return []
    return [
        Error(
            f"FMP_CUSTOMER_CONDITIONS names unknown conditions: {', '.join(unknown)}.",
            hint=f"Use codes among: {', '.join(PrinterCondition.values)}.",
            id="tickets.E001",
        )
    ]
