"""Automatic tickets written before their texts were stored as codes (fmp.texts) get their
codes back where their stored text is one of the known templates, in French or English, so
each reader reads them in their language. Unmatched rows keep their text as it is shown."""

from datetime import datetime

from django.db import migrations
from django.utils import timezone, translation

from fmp.texts import text_parse

LANGUAGES = ("fr", "en")
UNRESPONSIVE = "collector_unresponsive"
# The wordings the earlier code stored, in English and in the French of that time (frozen
# here: the catalogue has been reworded since, and a migration must read the old rows).
SUMMARY = ("Site collector %(name)s is not responding", "Le collecteur sur site %(name)s ne répond plus")
DESCRIPTION = (
    "The site collector %(name)s (host %(host)s, id %(uid)s) has not contacted the portal "
    "since %(last)s: the printers it polls are not monitored. Check that the machine is "
    "on and can reach the portal (outbound HTTPS).",
    "Le collecteur sur site %(name)s (hôte %(host)s, identifiant %(uid)s) n'a pas contacté le "
    "portail depuis le %(last)s : les imprimantes qu'il interroge ne sont plus surveillées. "
    "Vérifiez que la machine est allumée et qu'elle peut joindre le portail (HTTPS sortant).",
)
# The condition names of that time in French (the English ones are the labels' msgids).
OLD_FRENCH_LABELS = {
    "lowPaper": "Papier bas",
    "noPaper": "Fin de papier",
    "lowToner": "Toner bas",
    "noToner": "Toner vide",
    "doorOpen": "Porte ouverte",
    "jammed": "Bourrage papier",
    "offline": "Hors ligne",
    "serviceRequested": "Intervention requise",
    "inputTrayMissing": "Bac d’entrée absent",
    "outputTrayMissing": "Bac de sortie absent",
    "markerSupplyMissing": "Consommable d’impression manquant",
    "outputNearFull": "Bac de sortie presque plein",
    "outputFull": "Bac de sortie plein",
    "inputTrayEmpty": "Bac d’entrée vide",
    "overduePreventMaint": "Maintenance préventive en retard",
    "unreachable": "Ne répond pas",
}


def _parsed(wordings: tuple[str, ...], text: str) -> dict | None:
    for wording in wordings:
        params = text_parse(wording, text)
        if params is not None:
            return params
    return None


def _last_seen(text) -> dict | str:
    """The "%Y-%m-%d %H:%M" (site time zone) the old description held, as a moment."""
    try:
        moment = datetime.strptime(str(text), "%Y-%m-%d %H:%M")
    except ValueError:
        return text
    return {"at": timezone.make_aware(moment, timezone.get_default_timezone()).isoformat()}


def _condition_codes(ticket) -> tuple[dict | None, dict | None]:
    from printers.choices import condition_label

    params = {"condition": ticket.condition_code}
    summary = description = None
    labels = []
    for language in LANGUAGES:
        with translation.override(language):
            labels.append(str(condition_label(ticket.condition_code)))
    if ticket.condition_code in OLD_FRENCH_LABELS:
        labels.append(OLD_FRENCH_LABELS[ticket.condition_code])
    for label in labels:
        if ticket.summary == label:
            summary = {"code": "tickets.automatic.summary", "params": params}
        if ticket.description == f"{label} ({ticket.condition_code})":
            description = {"code": "tickets.automatic.description", "params": params}
    return summary, description


def _collector_codes(ticket) -> tuple[dict | None, dict | None]:
    summary = description = None
    params = _parsed(SUMMARY, ticket.summary)
    if params is not None:
        summary = {"code": "tickets.collector.unresponsive.summary", "params": params}
    params = _parsed(DESCRIPTION, ticket.description)
    if params is not None:
        params = {name: str(value) for name, value in params.items()}
        params["last"] = _last_seen(params["last"])
        description = {"code": "tickets.collector.unresponsive.description", "params": params}
    return summary, description


def forwards(apps, schema_editor):
    Ticket = apps.get_model("tickets", "Ticket")
    rows = Ticket.objects.filter(origin="monitoring", summary_code__isnull=True).exclude(condition_code="")
    changed = []
    for ticket in rows.iterator():
        if ticket.condition_code == UNRESPONSIVE:
            summary, description = _collector_codes(ticket)
        else:
            summary, description = _condition_codes(ticket)
        if summary or description:
            ticket.summary_code, ticket.description_code = summary, description
            changed.append(ticket)
    Ticket.objects.bulk_update(changed, ["summary_code", "description_code"], batch_size=500)


class Migration(migrations.Migration):
    dependencies = [("tickets", "0005_generated_texts")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
