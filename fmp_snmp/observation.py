"""What one poll of a device found, in domain terms (no SNMP types).

The SNMP normaliser builds these; ``printers.services.device_record_observation`` stores
them. Levels follow RFC 3805: -1 other, -2 unknown, -3 "some remaining"; ``percent`` is
``None`` unless both level and capacity are real numbers.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from fmp_snmp.alerts import DESCRIPTION_LIMIT, MAX_ALERTS, SEVERITIES, TRAINING_LEVELS, AlertReading


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
    # The printer's own alert table (prtAlertTable); known when the Printer-MIB answered
    # (an empty table is then "no alerts", not "unknown").
    alerts: tuple[AlertReading, ...] = field(default_factory=tuple)
    alerts_known: bool = False

    @classmethod
    def unreachable(cls, error: str, **kwargs) -> DeviceObservation:
        return cls(reachable=False, error=error[:500], **kwargs)


# --- the wire form -------------------------------------------------------------------------
# A collector sends observations as JSON; the portal accepts only what this parser accepts.
# It is strict on purpose (data from a site is untrusted): a wrong type, an unknown field, a
# string longer than the portal stores, a negative or absurd number is refused with a reason,
# never truncated or guessed, so that nothing partial is stored.

OVERALL_STATES = frozenset({"ok", "warning", "error", "other"})
SUPPLY_KINDS = frozenset(
    {"toner", "ink", "drum", "fuser", "waste", "developer", "transfer", "staples", "kit", "other"}
)
COLOURS = frozenset({"black", "cyan", "magenta", "yellow", "other", ""})
COUNTER_NAMES = frozenset({"total", "black", "colour", "scan", "fax", "copy", "print"})
# Far above any real printer's lifetime count (the busiest production presses stay under 10^9).
MAX_COUNTER_VALUE = 10**12
MAX_LEVEL = 2**31 - 1
MAX_SUPPLIES = 64
MAX_DURATION_MS = 24 * 3600 * 1000
TEXT_LIMITS = {
    "error": 500,
    "fax_state": 50,
    "scanner_state": 10,
    "sys_name": 255,
    "location": 255,
    "serial": 100,
    "vendor": 100,
    "model": 255,
    "trigger": 20,
}
SUPPLY_TEXT_LIMIT = 255


class ObservationInvalid(ValueError):
    """The wire form of an observation is refused; ``str(error)`` says which field and why."""


def observation_to_dict(observation: DeviceObservation) -> dict:
    """The JSON-ready wire form (the inverse of :func:`observation_from_dict`)."""
    data = {
        "reachable": observation.reachable,
        "overall": observation.overall,
        "conditions": list(observation.conditions),
        "device_status": observation.device_status,
        "printer_status": observation.printer_status,
        "uptime_seconds": observation.uptime_seconds,
        "supplies": [
            {
                "index": s.index,
                "description": s.description,
                "type": s.type,
                "colour": s.colour,
                "level": s.level,
                "max_capacity": s.max_capacity,
            }
            for s in observation.supplies
        ],
        "counters": dict(observation.counters),
        "duration_ms": observation.duration_ms,
        "status_known": observation.status_known,
        "conditions_known": observation.conditions_known,
        "supplies_known": observation.supplies_known,
        "alerts": [alert_to_dict(a) for a in observation.alerts],
        "alerts_known": observation.alerts_known,
    }
    for name in TEXT_LIMITS:
        data[name] = getattr(observation, name)
    return data


def _int(value, name: str, low: int, high: int, *, optional: bool = True) -> int | None:
    if value is None and optional:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ObservationInvalid(f"{name}: an integer is expected")
    if not low <= value <= high:
        raise ObservationInvalid(f"{name}: {value} is outside {low}..{high}")
    return value


def _encodable(value: str) -> bool:
    """Text that can be stored: UTF-8 encodable (no lone surrogate such as "\\ud800")."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _name(value) -> str:
    """A field name as said in a refusal: short, printable, storable whatever was sent."""
    text = value if isinstance(value, str) else repr(value)
    return text[:50].encode("utf-8", "backslashreplace").decode("utf-8")


def _unknown(keys) -> str:
    return sorted(_name(k) for k in keys)[0]


def _text(value, name: str, limit: int) -> str:
    if not isinstance(value, str):
        raise ObservationInvalid(f"{name}: a string is expected")
    if len(value) > limit:
        raise ObservationInvalid(f"{name}: longer than {limit} characters")
    if "\x00" in value:
        raise ObservationInvalid(f"{name}: contains a NUL character")
    if not _encodable(value):
        raise ObservationInvalid(f"{name}: not valid Unicode text (a lone surrogate)")
    return value


def _choice(value, name: str, allowed: frozenset[str], what: str) -> str:
    """One of ``allowed``; the type is checked first (a list or an object is not hashable)."""
    if not isinstance(value, str):
        raise ObservationInvalid(f"{name}: a string is expected")
    if value not in allowed:
        raise ObservationInvalid(f"{name}: unknown {what}")
    return value


def _bool(value, name: str) -> bool:
    if not isinstance(value, bool):
        raise ObservationInvalid(f"{name}: true or false is expected")
    return value


def _supply(data, n: int) -> SupplyReading:
    where = f"supplies[{n}]"
    if not isinstance(data, dict):
        raise ObservationInvalid(f"{where}: an object is expected")
    unknown = set(data) - {"index", "description", "type", "colour", "level", "max_capacity"}
    if unknown:
        raise ObservationInvalid(f"{where}: unknown field {_unknown(unknown)}")
    kind = _choice(data.get("type", "other"), f"{where}.type", SUPPLY_KINDS, "supply type")
    colour = _choice(data.get("colour", ""), f"{where}.colour", COLOURS, "colour")
    return SupplyReading(
        index=_int(data.get("index"), f"{where}.index", 0, 2**32, optional=False),
        description=_text(data.get("description", ""), f"{where}.description", SUPPLY_TEXT_LIMIT),
        type=kind,
        colour=colour,
        # RFC 3805: -1 other, -2 unknown, -3 "some remaining"; nothing lower exists.
        level=_int(data.get("level"), f"{where}.level", -3, MAX_LEVEL),
        max_capacity=_int(data.get("max_capacity"), f"{where}.max_capacity", -2, MAX_LEVEL),
    )


ALERT_SEVERITIES = frozenset(SEVERITIES.values())
ALERT_TRAINING = frozenset(TRAINING_LEVELS.values())
_ALERT_FIELDS = frozenset(
    {
        "index",
        "severity",
        "training",
        "group",
        "group_index",
        "location",
        "code",
        "description",
        "age_seconds",
    }
)


def alert_to_dict(a: AlertReading) -> dict:
    return {
        "index": a.index,
        "severity": a.severity,
        "training": a.training,
        "group": a.group,
        "group_index": a.group_index,
        "location": a.location,
        "code": a.code,
        "description": a.description,
        "age_seconds": a.age_seconds,
    }


def _alert(data, n: int) -> AlertReading:
    return alert_from_dict(data, f"alerts[{n}]")


def alert_from_dict(data, where: str) -> AlertReading:
    """One alert of the wire form, strictly (ObservationInvalid names ``where`` and why)."""
    if not isinstance(data, dict):
        raise ObservationInvalid(f"{where}: an object is expected")
    unknown = set(data) - _ALERT_FIELDS
    if unknown:
        raise ObservationInvalid(f"{where}: unknown field {_unknown(unknown)}")
    top = 2**31 - 1
    return AlertReading(
        index=_int(data.get("index"), f"{where}.index", 0, 2**32, optional=False),
        severity=_choice(data.get("severity", "other"), f"{where}.severity", ALERT_SEVERITIES, "severity"),
        training=_choice(
            data.get("training", "unknown"), f"{where}.training", ALERT_TRAINING, "training level"
        ),
        group=_int(data.get("group"), f"{where}.group", 0, top),
        group_index=_int(data.get("group_index"), f"{where}.group_index", 0, top),
        location=_int(data.get("location"), f"{where}.location", 0, top),
        code=_int(data.get("code"), f"{where}.code", 0, top),
        description=_text(data.get("description", ""), f"{where}.description", DESCRIPTION_LIMIT),
        age_seconds=_int(data.get("age_seconds"), f"{where}.age_seconds", 0, 2**32),
    )


_FIELDS = frozenset(
    {
        "alerts",
        "alerts_known",
        "reachable",
        "overall",
        "conditions",
        "device_status",
        "printer_status",
        "uptime_seconds",
        "supplies",
        "counters",
        "duration_ms",
        "status_known",
        "conditions_known",
        "supplies_known",
        *TEXT_LIMITS,
    }
)


def observation_from_dict(data, *, known_conditions: frozenset[str] | None = None) -> DeviceObservation:
    """Parse the wire form strictly; raises :class:`ObservationInvalid` with the reason."""
    from fmp_snmp.conditions import ERROR_BITS

    if not isinstance(data, dict):
        raise ObservationInvalid("observation: an object is expected")
    unknown = set(data) - _FIELDS
    if unknown:
        raise ObservationInvalid(f"unknown field {_unknown(unknown)}")
    if "reachable" not in data:
        raise ObservationInvalid("reachable: missing")
    overall = _choice(data.get("overall", "other"), "overall", OVERALL_STATES, "state")
    conditions = data.get("conditions", [])
    allowed = known_conditions if known_conditions is not None else frozenset(ERROR_BITS)
    if not isinstance(conditions, list) or len(conditions) > len(allowed):
        raise ObservationInvalid("conditions: a short list is expected")
    for code in conditions:
        if not isinstance(code, str):
            raise ObservationInvalid("conditions: a list of strings is expected")
        if code not in allowed:
            raise ObservationInvalid("conditions: unknown condition")
    supplies = data.get("supplies", [])
    if not isinstance(supplies, list) or len(supplies) > MAX_SUPPLIES:
        raise ObservationInvalid(f"supplies: a list of at most {MAX_SUPPLIES} is expected")
    readings = tuple(_supply(s, n) for n, s in enumerate(supplies))
    if len({r.index for r in readings}) != len(readings):
        raise ObservationInvalid("supplies: the same index twice")
    counters = data.get("counters", {})
    if not isinstance(counters, dict):
        raise ObservationInvalid("counters: an object is expected")
    for name, value in counters.items():
        if not isinstance(name, str) or name not in COUNTER_NAMES:
            raise ObservationInvalid("counters: unknown counter")
        _int(value, f"counters.{name}", 0, MAX_COUNTER_VALUE, optional=False)
    alerts = data.get("alerts", [])
    if not isinstance(alerts, list) or len(alerts) > MAX_ALERTS:
        raise ObservationInvalid(f"alerts: a list of at most {MAX_ALERTS} is expected")
    alert_readings = tuple(_alert(a, n) for n, a in enumerate(alerts))
    if len({a.index for a in alert_readings}) != len(alert_readings):
        raise ObservationInvalid("alerts: the same index twice")
    texts = {name: _text(data.get(name, ""), name, limit) for name, limit in TEXT_LIMITS.items()}
    return DeviceObservation(
        reachable=_bool(data["reachable"], "reachable"),
        overall=overall,
        conditions=tuple(conditions),
        device_status=_int(data.get("device_status"), "device_status", 0, 100),
        printer_status=_int(data.get("printer_status"), "printer_status", 0, 100),
        uptime_seconds=_int(data.get("uptime_seconds"), "uptime_seconds", 0, 2**32),
        supplies=readings,
        counters=dict(counters),
        duration_ms=_int(data.get("duration_ms"), "duration_ms", 0, MAX_DURATION_MS),
        status_known=_bool(data.get("status_known", True), "status_known"),
        conditions_known=_bool(data.get("conditions_known", True), "conditions_known"),
        supplies_known=_bool(data.get("supplies_known", True), "supplies_known"),
        # A collector of an earlier version sends no alert table: the last one known stays.
        alerts=alert_readings,
        alerts_known=_bool(data.get("alerts_known", False), "alerts_known"),
        **texts,
    )
