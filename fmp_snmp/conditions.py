"""The printer conditions the engine reports: hrPrinterDetectedErrorState bits (RFC 3805)
in bit order, and which of them stop the device. Plain names; the portal gives them
labels (``printers.choices.PrinterCondition`` uses these very codes)."""

from __future__ import annotations

# Bit 0 = the most significant bit of the first octet.
ERROR_BITS: tuple[str, ...] = (
    "lowPaper",
    "noPaper",
    "lowToner",
    "noToner",
    "doorOpen",
    "jammed",
    "offline",
    "serviceRequested",
    "inputTrayMissing",
    "outputTrayMissing",
    "markerSupplyMissing",
    "outputNearFull",
    "outputFull",
    "inputTrayEmpty",
    "overduePreventMaint",
)

# Conditions that stop the device (the rest are warnings).
ERROR_CONDITIONS: frozenset[str] = frozenset(
    {
        "noPaper",
        "noToner",
        "doorOpen",
        "jammed",
        "offline",
        "inputTrayMissing",
        "outputTrayMissing",
        "markerSupplyMissing",
        "outputFull",
    }
)

# Raised by the poller itself when a device does not answer (not an error-state bit).
UNREACHABLE = "unreachable"
