"""What one poll of a device found, in domain terms (no SNMP types).

The SNMP normaliser builds these; ``printers.services.device_record_observation`` stores
them. Levels follow RFC 3805: -1 other, -2 unknown, -3 "some remaining"; ``percent`` is
``None`` unless both level and capacity are real numbers.
"""

from __future__ import annotations

from dataclasses import dataclass, field


def supply_percent(level: int | None, max_capacity: int | None) -> int | None:
    """level*100/max when both are real (non-negative, max > 0), clamped to 0..100."""
    if level is None or max_capacity is None or level < 0 or max_capacity <= 0:
        return None
    return max(0, min(100, round(level * 100 / max_capacity)))


def serial_key(serial: str | None) -> str:
    """A serial number as compared: without surrounding spaces, case-insensitive
    ("  ab123 " is AB123). The database side is ``Upper(Trim(serial_number))``."""
    return (serial or "").strip().upper()


@dataclass(frozen=True)
class SupplyReading:
    index: int
    description: str = ""
    type: str = "other"
    colour: str = ""
    level: int | None = None
    max_capacity: int | None = None

    @property
    def percent(self) -> int | None:
        return supply_percent(self.level, self.max_capacity)


@dataclass(frozen=True)
class DeviceObservation:
    reachable: bool
    error: str = ""
    overall: str = "other"
    conditions: tuple[str, ...] = ()
    device_status: int | None = None
    printer_status: int | None = None
    uptime_seconds: int | None = None
    fax_state: str = ""
    scanner_state: str = ""
    sys_name: str = ""
    location: str = ""
    serial: str = ""
    vendor: str = ""
    model: str = ""
    supplies: tuple[SupplyReading, ...] = field(default_factory=tuple)
    counters: dict[str, int] = field(default_factory=dict)
    duration_ms: int | None = None
    trigger: str = ""
    # What the answer covered. A printer asleep or half-booted answers the system group but
    # not the Printer-MIB: what it did not answer keeps its last known values (and their
    # age), and conditions clear only on an answer that reports the error state.
    status_known: bool = True  # hrDeviceStatus / hrPrinterStatus / the error state
    conditions_known: bool = True  # hrPrinterDetectedErrorState
    supplies_known: bool = True  # the prtMarkerSupplies table

    @classmethod
    def unreachable(cls, error: str, **kwargs) -> DeviceObservation:
        return cls(reachable=False, error=error[:500], **kwargs)
