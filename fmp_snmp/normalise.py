"""Turn raw MIB values into FMP's domain. Pure functions: no I/O, no pysnmp.

Input is what the collector gathered: a mapping of OID → value (int, bytes, str or a
Special). Devices disagree with the RFCs in many small ways, so every reader here accepts
a wrong type, a missing table, a negative or huge number, a duplicate or truncated row,
and gives "unknown" rather than an exception.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field

from fmp_snmp import oids
from fmp_snmp.alerts import DESCRIPTION_LIMIT, MAX_ALERTS, SEVERITIES, TRAINING_LEVELS, AlertReading
from fmp_snmp.conditions import ERROR_BITS, ERROR_CONDITIONS
from fmp_snmp.observation import MAX_COUNTER_VALUE, DeviceObservation, SupplyReading, supply_percent
from fmp_snmp.types import Oid, Special, Value

MAX_TEXT = 255
MAX_COUNTER = 2**63 - 1


# prtMarkerSuppliesTypeTC → FMP supply type
SUPPLY_TYPES = {
    3: "toner",
    21: "toner",
    5: "ink",
    6: "ink",
    7: "ink",
    4: "waste",
    8: "waste",
    14: "waste",
    24: "waste",
    26: "waste",
    9: "drum",
    10: "developer",
    11: "fuser",
    15: "fuser",
    17: "fuser",
    19: "fuser",
    22: "fuser",
    20: "transfer",
    18: "kit",
    29: "staples",
    32: "staples",
}
SUPPLY_TYPE_NAMES = {
    1: "other",
    2: "unknown",
    3: "toner",
    4: "wasteToner",
    5: "ink",
    6: "inkCartridge",
    7: "inkRibbon",
    8: "wasteInk",
    9: "opc",
    10: "developer",
    11: "fuserOil",
    12: "solidWax",
    13: "ribbonWax",
    14: "wasteWax",
    15: "fuser",
    16: "coronaWire",
    17: "fuserOilWick",
    18: "cleanerUnit",
    19: "fuserCleaningPad",
    20: "transferUnit",
    21: "tonerCartridge",
    22: "fuserOiler",
    23: "water",
    24: "wasteWater",
    25: "glueWaterAdditive",
    26: "wastePaper",
    27: "bindingSupply",
    28: "bandingSupply",
    29: "stitchingWire",
    30: "shrinkWrap",
    31: "paperWrap",
    32: "staples",
    33: "inserts",
    34: "covers",
}
COLOUR_WORDS = {
    "black": ("black", "noir", "schwarz", "nero", "negro", "bk", "k"),
    "cyan": ("cyan", "c"),
    "magenta": ("magenta", "m"),
    "yellow": ("yellow", "jaune", "gelb", "giallo", "amarillo", "y"),
}
_HEX_TEXT = re.compile(r"^(?:0x)?(?:[0-9A-Fa-f]{2}[ :]?){2,}$")


# --- primitive readers -------------------------------------------------------------------


def as_int(value: Value | None, *, minimum: int | None = None, maximum: int = MAX_COUNTER) -> int | None:
    """An integer, or None for anything else (strings of digits are accepted)."""
    if isinstance(value, bool) or value is None or isinstance(value, Special):
        return None
    if isinstance(value, bytes):
        try:
            value = int(value.decode("ascii").strip())
        except (UnicodeDecodeError, ValueError):
            return None
    elif isinstance(value, str):
        try:
            value = int(value.strip())
        except ValueError:
            return None
    if not isinstance(value, int):
        return None
    if minimum is not None and value < minimum:
        return None
    if value > maximum:
        return None
    return value


def as_text(value: Value | None, *, limit: int = MAX_TEXT) -> str:
    """Readable text from an octet string: UTF-8 or Latin-1, hex dumps decoded, controls removed."""
    if value is None or isinstance(value, Special):
        return ""
    if isinstance(value, int):
        return str(value)
    raw = value if isinstance(value, bytes) else str(value).encode("utf-8", "replace")
    if len(raw) > 4 * limit:
        raw = raw[: 4 * limit]
    text = _decode(raw)
    stripped = text.strip()
    if _HEX_TEXT.match(stripped) and (stripped.startswith("0x") or " " in stripped or ":" in stripped):
        digits = re.sub(r"[^0-9A-Fa-f]", "", stripped[2:] if stripped.startswith("0x") else stripped)
        try:
            decoded = _decode(bytes.fromhex(digits))
        except ValueError:
            decoded = ""
        if decoded and all(ch.isprintable() for ch in decoded.strip("\x00")):
            text = decoded
    cleaned = "".join(ch if ch.isprintable() else " " for ch in text.replace("\x00", ""))
    cleaned = " ".join(cleaned.split())
    return unicodedata.normalize("NFC", cleaned)[:limit]


def _decode(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def as_oid_text(value: Value | None) -> str:
    if isinstance(value, str):
        return value.strip().lstrip(".")
    if isinstance(value, bytes):
        text = as_text(value)
        return text.lstrip(".") if re.fullmatch(r"\.?\d+(\.\d+)*", text) else ""
    return ""


def error_state_names(value: Value | None) -> list[str]:
    """Decode hrPrinterDetectedErrorState (one or two octets, or an integer)."""
    if value is None or isinstance(value, Special):
        return []
    if isinstance(value, int):
        if value < 0 or value > 0xFFFF:
            return []
        raw = value.to_bytes(2, "big") if value > 0xFF else bytes([value])
    elif isinstance(value, str):
        raw = value.encode("latin-1", "replace")
    else:
        raw = value
    names = []
    for bit, name in enumerate(ERROR_BITS):
        byte, offset = divmod(bit, 8)
        if byte < len(raw) and raw[byte] & (0x80 >> offset):
            names.append(name)
    return names


# --- table helpers ------------------------------------------------------------------------


def column(values: Mapping[Oid, Value], col: Oid) -> dict[Oid, Value]:
    """Rows of one column, keyed by their index suffix."""
    n = len(col)
    return {oid[n:]: v for oid, v in values.items() if oid[:n] == col and len(oid) > n}


def scalar(values: Mapping[Oid, Value], obj: Oid) -> Value | None:
    value = values.get((*obj, 0))
    if value is None:
        rows = column(values, obj)
        value = rows[min(rows)] if rows else None
    return None if isinstance(value, Special) else value


# --- the result ---------------------------------------------------------------------------


@dataclass
class Supply:
    index: int
    description: str
    type: str
    color: str
    level: int | None
    max_capacity: int | None
    percent: int | None
    raw_type: str = ""


@dataclass
class Tray:
    index: int
    name: str
    level: int | None
    max_capacity: int | None
    percent: int | None


@dataclass
class Normalised:
    sys_name: str = ""
    sys_descr: str = ""
    sys_object_id: str = ""
    location: str = ""
    uptime_seconds: int | None = None
    vendor: str = ""
    model: str = ""
    serial: str = ""
    status: str = "other"
    errors: list[str] = field(default_factory=list)
    device_status: int | None = None
    printer_status: int | None = None
    supplies: list[Supply] = field(default_factory=list)
    trays: list[Tray] = field(default_factory=list)
    counters: dict[str, int] = field(default_factory=dict)
    alerts: list[AlertReading] = field(default_factory=list)
    is_printer: bool = False
    # Which parts the agent answered (a sleeping printer answers only the system group).
    status_known: bool = False
    conditions_known: bool = False
    supplies_known: bool = False

    def as_json(self) -> dict:
        """The command-line contract of ``snmp_probe --json`` (SPEC.md)."""
        data = asdict(self)
        data["supplies"] = [
            {k: s[k] for k in ("index", "description", "type", "color", "level", "max_capacity", "percent")}
            for s in data["supplies"]
        ]
        for key in (
            "device_status",
            "printer_status",
            "is_printer",
            "status_known",
            "conditions_known",
            "supplies_known",
        ):
            data.pop(key)
        return data

    def to_observation(self, *, duration_ms: int | None = None, trigger: str = "") -> DeviceObservation:
        return DeviceObservation(
            reachable=True,
            overall=self.status if self.status in {"ok", "warning", "error"} else "other",
            conditions=tuple(self.errors),
            device_status=self.device_status,
            printer_status=self.printer_status,
            uptime_seconds=self.uptime_seconds,
            sys_name=self.sys_name,
            location=self.location,
            serial=self.serial,
            vendor=self.vendor,
            model=self.model,
            status_known=self.status_known,
            conditions_known=self.conditions_known,
            supplies_known=self.supplies_known,
            supplies=tuple(
                SupplyReading(
                    index=s.index,
                    description=s.description,
                    type=s.type,
                    colour=s.color
                    if s.color in {"black", "cyan", "magenta", "yellow"}
                    else ("other" if s.color else ""),
                    level=s.level,
                    max_capacity=s.max_capacity,
                )
                for s in self.supplies
            ),
            counters=dict(self.counters),
            alerts=tuple(self.alerts),
            alerts_known=self.is_printer,
            duration_ms=duration_ms,
            trigger=trigger,
        )


# --- the normaliser -----------------------------------------------------------------------


def normalise(values: Mapping[Oid, Value]) -> Normalised:
    result = Normalised(
        sys_name=as_text(scalar(values, oids.SYS_NAME)),
        sys_descr=as_text(scalar(values, oids.SYS_DESCR), limit=1000),
        sys_object_id=as_oid_text(scalar(values, oids.SYS_OBJECT_ID)),
        location=as_text(scalar(values, oids.SYS_LOCATION)),
    )
    ticks = as_int(scalar(values, oids.SYS_UPTIME), minimum=0, maximum=2**32 - 1)  # TimeTicks
    result.uptime_seconds = ticks // 100 if ticks is not None else None
    result.is_printer = any(oid[: len(oids.PRT)] == oids.PRT for oid in values)
    result.vendor = _vendor(result.sys_object_id, result.sys_descr)
    result.model = _model(values, result.vendor, result.sys_descr)
    result.serial = as_text(_first(column(values, oids.PRT_GENERAL_SERIAL)), limit=100)
    _status(values, result)
    result.supplies = _supplies(values)
    result.supplies_known = any(
        column(values, col)
        for col in (
            oids.PRT_SUPPLY_DESCRIPTION,
            oids.PRT_SUPPLY_LEVEL,
            oids.PRT_SUPPLY_MAX,
            oids.PRT_SUPPLY_TYPE,
        )
    )
    result.trays = _trays(values)
    result.alerts = _alerts(values, ticks)
    result.counters = _counters(values, result.vendor)
    return result


def _first(rows: dict[Oid, Value]) -> Value | None:
    for key in sorted(rows):
        if not isinstance(rows[key], Special):
            return rows[key]
    return None


def _vendor(sys_object_id: str, sys_descr: str) -> str:
    """The maker: named first in sysDescr (OEM devices carry another maker's sysObjectID),
    else the enterprise number of sysObjectID, else any known name in sysDescr."""
    first_word = sys_descr.split(" ", 1)[0].lower()
    for name in oids.ENTERPRISES.values():
        if name.lower() == first_word:
            return name
    parts = sys_object_id.split(".")
    if len(parts) > 6 and parts[:6] == ["1", "3", "6", "1", "4", "1"]:
        try:
            vendor = oids.ENTERPRISES.get(int(parts[6]))
        except ValueError:
            vendor = None
        if vendor:
            return vendor
    lowered = sys_descr.lower()
    for name in sorted(set(oids.ENTERPRISES.values()), key=len, reverse=True):
        if name.lower() in lowered:
            return name
    if "hewlett" in lowered or "jetdirect" in lowered or "laserjet" in lowered:
        return "HP"
    return ""


def _model(values: Mapping[Oid, Value], vendor: str, sys_descr: str) -> str:
    candidates = []
    candidates.append(as_text(_first(column(values, oids.PRT_GENERAL_PRINTER_NAME))))
    types = column(values, oids.HR_DEVICE_TYPE)
    descrs = column(values, oids.HR_DEVICE_DESCR)
    printer_rows = [
        k for k, v in types.items() if as_oid_text(v) == ".".join(map(str, oids.HR_DEVICE_PRINTER))
    ]
    for key in sorted(printer_rows) + sorted(descrs):
        candidates.append(as_text(descrs.get(key)))
    candidates.append(re.split(r";|,| version | Version | firmware | Firmware ", sys_descr, maxsplit=1)[0])
    for text in candidates:
        text = text.strip()
        if text:
            return _strip_vendor(text, vendor)[:150]
    return ""


def _strip_vendor(text: str, vendor: str) -> str:
    for prefix in sorted({vendor, "Hewlett-Packard", "HP"} - {""}, key=len, reverse=True):
        if text.lower().startswith(prefix.lower() + " ") and len(text) > len(prefix) + 1:
            return text[len(prefix) + 1 :]
    return text


def _status(values: Mapping[Oid, Value], result: Normalised) -> None:
    result.device_status = as_int(_first(column(values, oids.HR_DEVICE_STATUS)), minimum=0, maximum=10)
    printer_rows = column(values, oids.HR_PRINTER_STATUS)
    result.printer_status = as_int(_first(printer_rows), minimum=0, maximum=10)
    errors: list[str] = []
    for key in sorted(column(values, oids.HR_PRINTER_ERROR_STATE)):
        for name in error_state_names(values[(*oids.HR_PRINTER_ERROR_STATE, *key)]):
            if name not in errors:
                errors.append(name)
    result.errors = errors
    result.conditions_known = bool(column(values, oids.HR_PRINTER_ERROR_STATE))
    result.status_known = (
        result.conditions_known or result.device_status is not None or result.printer_status is not None
    )
    if not result.is_printer and result.device_status is None and result.printer_status is None:
        result.status = "other"
    elif any(e in ERROR_CONDITIONS for e in errors) or result.device_status == 5:
        result.status = "error"
    elif errors or result.device_status == 3:
        result.status = "warning"
    elif result.device_status in (2, 4) or result.printer_status in (3, 4, 5):
        result.status = "ok"
    else:
        result.status = "other"


def _colour_of(text: str) -> str:
    words = re.findall(r"[a-z]+", text.lower())
    for colour, names in COLOUR_WORDS.items():
        long_names = [n for n in names if len(n) > 1]
        if any(w in long_names for w in words):
            return colour
    return ""


def _supplies(values: Mapping[Oid, Value]) -> list[Supply]:
    descriptions = column(values, oids.PRT_SUPPLY_DESCRIPTION)
    levels = column(values, oids.PRT_SUPPLY_LEVEL)
    maxes = column(values, oids.PRT_SUPPLY_MAX)
    types = column(values, oids.PRT_SUPPLY_TYPE)
    colorants = column(values, oids.PRT_SUPPLY_COLORANT)
    colorant_values = column(values, oids.PRT_COLORANT_VALUE)
    keys = sorted(set(descriptions) | set(levels) | set(maxes) | set(types))
    supplies: dict[int, Supply] = {}
    for key in keys:
        if not key or any(not isinstance(part, int) for part in key):
            continue
        index = key[-1]
        description = as_text(descriptions.get(key))
        level = as_int(levels.get(key), minimum=-3, maximum=2**31 - 1)
        if level is not None and level < -3:
            level = None
        max_capacity = as_int(maxes.get(key), minimum=-2, maximum=2**31 - 1)
        raw_type = as_int(types.get(key))
        kind = SUPPLY_TYPES.get(raw_type, "other")
        if kind == "other" and "kit" in description.lower():
            kind = "kit"
        colour = ""
        colorant_index = as_int(colorants.get(key), minimum=1)
        if colorant_index:
            colour = as_text(colorant_values.get((*key[:-1], colorant_index))).lower()
            colour = colour if colour in COLOUR_WORDS else (_colour_of(colour) or colour[:20])
        if not colour and kind in {"toner", "ink", "drum", "developer"}:
            colour = _colour_of(description)
        if not description and level is None and max_capacity is None:
            continue
        supplies[index] = Supply(
            index=index,
            description=description,
            type=kind,
            color=colour,
            level=level,
            max_capacity=max_capacity,
            percent=supply_percent(level, max_capacity),
            raw_type=SUPPLY_TYPE_NAMES.get(raw_type, ""),
        )
    return [supplies[i] for i in sorted(supplies)]


def _trays(values: Mapping[Oid, Value]) -> list[Tray]:
    names = column(values, oids.PRT_INPUT_NAME)
    descriptions = column(values, oids.PRT_INPUT_DESCRIPTION)
    currents = column(values, oids.PRT_INPUT_CURRENT)
    maxes = column(values, oids.PRT_INPUT_MAX)
    trays = {}
    for key in sorted(set(names) | set(currents) | set(maxes)):
        if not key:
            continue
        level = as_int(currents.get(key), minimum=-3, maximum=2**31)
        max_capacity = as_int(maxes.get(key), minimum=-2, maximum=2**31 - 1)
        trays[key[-1]] = Tray(
            index=key[-1],
            name=as_text(names.get(key)) or as_text(descriptions.get(key)),
            level=level,
            max_capacity=max_capacity,
            percent=supply_percent(level, max_capacity),
        )
    return [trays[i] for i in sorted(trays)]


def _alerts(values: Mapping[Oid, Value], uptime_ticks: int | None) -> list[AlertReading]:
    """The printer's current alerts (prtAlertTable), at most MAX_ALERTS, by row."""
    severities = column(values, oids.PRT_ALERT_SEVERITY)
    descriptions = column(values, oids.PRT_ALERT_DESCRIPTION)
    codes = column(values, oids.PRT_ALERT_CODE)
    alerts: list[AlertReading] = []
    seen: set[int] = set()
    for key in sorted(set(severities) | set(descriptions) | set(codes))[:MAX_ALERTS]:
        index = key[-1] if key and isinstance(key[-1], int) and 0 <= key[-1] <= 2**32 else 0
        if index in seen:
            continue  # one row per alert index (a second printer of the same agent: its first)
        seen.add(index)

        def cell(col: Oid, maximum: int = 2**31 - 1, key=key) -> int | None:
            return as_int(values.get((*col, *key)), minimum=0, maximum=maximum)

        stamp = cell(oids.PRT_ALERT_TIME, 2**32 - 1)
        age = None
        if stamp is not None and uptime_ticks is not None and 0 < stamp <= uptime_ticks:
            age = (uptime_ticks - stamp) // 100
        alerts.append(
            AlertReading(
                index=index,
                severity=SEVERITIES.get(as_int(severities.get(key)), "other"),
                training=TRAINING_LEVELS.get(cell(oids.PRT_ALERT_TRAINING), "unknown"),
                group=cell(oids.PRT_ALERT_GROUP),
                group_index=cell(oids.PRT_ALERT_GROUP_INDEX),
                location=cell(oids.PRT_ALERT_LOCATION),
                code=as_int(codes.get(key), minimum=0, maximum=2**31 - 1),
                description=as_text(descriptions.get(key), limit=DESCRIPTION_LIMIT),
                age_seconds=age,
            )
        )
    return alerts


def _counters(values: Mapping[Oid, Value], vendor: str) -> dict[str, int]:
    counters: dict[str, int] = {}
    life = column(values, oids.PRT_MARKER_LIFE_COUNT)
    total = as_int(_first(life), minimum=0, maximum=MAX_COUNTER_VALUE)
    if total is not None:
        counters["total"] = total
    vendor_sets = {
        "HP": ((oids.HP_TOTAL, "total"), (oids.HP_MONO, "black"), (oids.HP_COLOUR, "colour")),
        "Xerox": ((oids.XEROX_TOTAL, "total"), (oids.XEROX_BLACK, "black"), (oids.XEROX_COLOUR, "colour")),
    }
    for obj, name in vendor_sets.get(vendor, ()):
        value = as_int(values.get((*obj, 0), values.get(obj)), minimum=0, maximum=MAX_COUNTER_VALUE)
        if value is not None and (name != "total" or "total" not in counters):
            counters[name] = value
    return counters
