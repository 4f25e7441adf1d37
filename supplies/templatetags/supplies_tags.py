from django import template
from django.conf import settings

from supplies.forecast import level_age_label, level_is_old

register = template.Library()


@register.filter
def level_old(supply) -> str:
    """ "old data: last reading 20 days ago" for a supply whose level is old, else ""."""
    seen_at = getattr(supply, "updated_at", None)
    if not level_is_old(seen_at, old_after_days=settings.FMP_SUPPLY_LEVEL_OLD_DAYS):
        return ""
    return level_age_label(seen_at)
