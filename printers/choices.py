"""Printer states, warnings and supply kinds, each with its label (and badge colour)."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from fmp_snmp import conditions as engine_conditions


class PrinterState(models.TextChoices):
    OK = "ok", _("OK")
    WARNING = "warning", _("Warning")
    ERROR = "error", _("Error")
    OTHER = "other", _("Other")

    @classmethod
    def badge(cls, value: str) -> str:
        return {"ok": "success", "warning": "warning", "error": "danger"}.get(value, "secondary")

    @classmethod
    def icon(cls, value: str) -> str:
        return {
            "ok": "check-circle-fill",
            "warning": "exclamation-triangle-fill",
            "error": "x-octagon-fill",
        }.get(value, "question-circle-fill")


OVERALL_STATE_LABELS = {
    "ok": _("Working normally"),
    "warning": _("Working but shows one or more warnings"),
    "error": _("Not working: one or more errors"),
    "other": _("State unknown"),
}


class PrinterCondition(models.TextChoices):
    """hrPrinterDetectedErrorState bits (RFC 3805), in bit order."""

    LOW_PAPER = "lowPaper", _("Low paper")
    NO_PAPER = "noPaper", _("Paper out")
    LOW_TONER = "lowToner", _("Low toner")
    NO_TONER = "noToner", _("Toner empty")
    DOOR_OPEN = "doorOpen", _("Door open")
    JAMMED = "jammed", _("Paper jam")
    OFFLINE = "offline", _("Offline")
    SERVICE_REQUESTED = "serviceRequested", _("Intervention required")
    INPUT_TRAY_MISSING = "inputTrayMissing", _("Input tray missing")
    OUTPUT_TRAY_MISSING = "outputTrayMissing", _("Output tray missing")
    MARKER_SUPPLY_MISSING = "markerSupplyMissing", _("Marker supply missing")
    OUTPUT_NEAR_FULL = "outputNearFull", _("Output tray nearly full")
    OUTPUT_FULL = "outputFull", _("Output tray full")
    INPUT_TRAY_EMPTY = "inputTrayEmpty", _("Input tray empty")
    OVERDUE_PREVENT_MAINT = "overduePreventMaint", _("Preventive maintenance overdue")


# Raised by the poller itself (not an hrPrinterDetectedErrorState bit).
UNREACHABLE = engine_conditions.UNREACHABLE


def condition_label(code: str):
    """The readable, translated (lazy) name of a device condition; the code if unknown."""
    if code == UNREACHABLE:
        return _("Not answering")
    return dict(PrinterCondition.choices).get(code, code)


# Conditions that stop the device (the rest are warnings): the engine's vocabulary.
ERROR_CONDITIONS = engine_conditions.ERROR_CONDITIONS


class SupplyType(models.TextChoices):
    TONER = "toner", _("Toner")
    INK = "ink", _("Ink")
    DRUM = "drum", _("Drum")
    FUSER = "fuser", _("Fuser")
    WASTE = "waste", _("Waste container")
    DEVELOPER = "developer", _("Developer")
    TRANSFER = "transfer", _("Transfer unit")
    STAPLES = "staples", _("Staples")
    KIT = "kit", _("Maintenance kit")
    OTHER = "other", _("Other")


class Colour(models.TextChoices):
    BLACK = "black", _("Black")
    CYAN = "cyan", _("Cyan")
    MAGENTA = "magenta", _("Magenta")
    YELLOW = "yellow", _("Yellow")
    OTHER = "other", _("Other")
    NONE = "", _("None")


class CounterType(models.TextChoices):
    TOTAL = "total", _("Total")
    BLACK = "black", _("Black")
    COLOUR = "colour", _("Colour")
    SCAN = "scan", _("Scans")
    FAX = "fax", _("Faxes")
    COPY = "copy", _("Copies")
    PRINT = "print", _("Prints")


class SnmpVersion(models.TextChoices):
    V1 = "1", "SNMPv1"
    V2C = "2c", "SNMPv2c"
    V3 = "3", "SNMPv3"


class ScannerState(models.TextChoices):
    READY = "ready", _("Ready")
    BUSY = "busy", _("Busy")
    ERROR = "error", _("Error")
    NONE = "", "-"
