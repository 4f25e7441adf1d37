"""Automatic orders placed before their reason was stored as a code (fmp.texts) get it back
where the stored reason (and the note of their "placed automatically" event) reads as the
known template, in French or English, so each reader reads it in their language. Unmatched
rows keep their text as it is shown."""

import re

from django.db import migrations
from django.utils import translation
from django.utils.translation import gettext, ngettext

from fmp.texts import template_pattern, text_parse

LANGUAGES = ("fr", "en")


def _templates(language: str) -> tuple[str, list[tuple[str, float | None]], list[str]]:
    """The reason's base, its "days left" endings (with the days they stand for, None: read
    the number) and its "old data" endings, as worded in ``language``."""
    with translation.override(language):
        base = gettext("%(supply)s at %(percent)s %%")
        days = [(gettext("less than a day left"), 0)] + [
            (ngettext("about %(days)d day left", "about %(days)d days left", n), None) for n in (1, 2)
        ]
        old = [
            ngettext("old data: last reading %(days)d day ago", "old data: last reading %(days)d days ago", n)
            for n in (1, 2)
        ]
    return base, days, old


def _strip_end(text: str, pattern: str) -> tuple[str, re.Match | None]:
    match = re.search(pattern + "$", text)
    return (text[: match.start()], match) if match else (text, None)


def reason_code(text: str) -> dict | None:
    """The code and parameters of an automatic order's reason, or None when it is not one."""
    for language in LANGUAGES:
        base, days_endings, old_endings = _templates(language)
        rest, params = text, {}
        for template in old_endings:
            rest, match = _strip_end(rest, r" \(" + template_pattern(template).pattern + r"\)")
            if match:
                params["old_days"] = int(match.group("days"))
                break
        for template, fixed in days_endings:
            rest, match = _strip_end(rest, ", " + template_pattern(template).pattern)
            if match:
                params["days_left"] = fixed if fixed is not None else int(match.group("days"))
                break
        found = text_parse(base, rest)
        if found is not None:
            return {"code": "supplies.order.reason.automatic", "params": {**found, **params}}
    return None


def forwards(apps, schema_editor):
    Order = apps.get_model("supplies", "Order")
    OrderEvent = apps.get_model("supplies", "OrderEvent")
    orders = []
    for order in Order.objects.filter(origin="automatic", reason_code__isnull=True).exclude(reason="").iterator():
        order.reason_code = reason_code(order.reason)
        if order.reason_code:
            orders.append(order)
    Order.objects.bulk_update(orders, ["reason_code"], batch_size=500)
    events = []
    for event in OrderEvent.objects.filter(key="supplies.order.automatic", note_code__isnull=True).exclude(note=""):
        event.note_code = reason_code(event.note)
        if event.note_code:
            events.append(event)
    OrderEvent.objects.bulk_update(events, ["note_code"], batch_size=500)


class Migration(migrations.Migration):
    dependencies = [("supplies", "0004_generated_texts")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
