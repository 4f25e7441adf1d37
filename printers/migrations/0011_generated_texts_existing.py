"""Command results and poll-run notes written before they were stored as codes (fmp.texts)
get their codes back where the stored text reads as a known template, in French or English,
so each reader reads them in their language. Unmatched rows keep their text as it is shown."""

from django.db import migrations

from fmp.texts import text_parse

# The wordings the earlier code stored, in English and in the French of that time (frozen
# here: the catalogue has been reworded since, and a migration must read the old rows).
RESULTS = {
    "printers.command.revoked": ("the collector was revoked", "le collecteur a été révoqué"),
    "printers.command.refused": ("the device refused: %(status)s", "l’appareil a refusé : %(status)s"),
    "printers.command.failed": (
        "the site collector could not carry out the command",
        "le collecteur de site n’a pas pu exécuter la commande",
    ),
    "printers.command.raw_print_connect": ("the printer does not accept print jobs on port %(port)s (%(error)s)",),
    "printers.command.raw_print_send": (
        "the print job could not be sent (%(error)s)",
        "le travail d’impression n’a pas pu être envoyé (%(error)s)",
    ),
}


def result_code(text: str) -> dict | None:
    for code, wordings in RESULTS.items():
        for wording in wordings:
            params = text_parse(wording, text)
            if params is not None:
                return {"code": code, "params": params}
    return None


def note_code(text: str) -> dict | None:
    """Discovery's "3 new, 0 moved" and a poll's "2 answered by another printer: …" (both
    were written in English only)."""
    params = text_parse("%(new)d new, %(moved)d moved", text)
    if params is not None:
        return {"code": "printers.run.discovery", "params": params}
    params = text_parse("%(count)d answered by another printer: %(devices)s", text)
    if params is not None:
        return {"code": "printers.run.foreign", "params": {**params, "devices": str(params["devices"])}}
    return None


def forwards(apps, schema_editor):
    DeviceCommand = apps.get_model("printers", "DeviceCommand")
    PollRun = apps.get_model("printers", "PollRun")
    for model, field, code_of in ((DeviceCommand, "result", result_code), (PollRun, "note", note_code)):
        changed = []
        for row in model.objects.filter(**{f"{field}_code__isnull": True}).exclude(**{field: ""}).iterator():
            setattr(row, f"{field}_code", code_of(getattr(row, field)))
            if getattr(row, f"{field}_code"):
                changed.append(row)
        model.objects.bulk_update(changed, [f"{field}_code"], batch_size=500)


class Migration(migrations.Migration):
    dependencies = [("printers", "0010_generated_texts")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
