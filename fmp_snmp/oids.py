"""The MIB objects FMP reads: SNMPv2-MIB, HOST-RESOURCES-MIB, Printer-MIB (RFC 3805), vendor MIBs."""

from __future__ import annotations

from fmp_snmp.types import Oid, parse_oid

# SNMPv2-MIB system group (scalars: ask for the parent, GETNEXT gives the .0 instance)
SYS_DESCR = parse_oid("1.3.6.1.2.1.1.1")
SYS_OBJECT_ID = parse_oid("1.3.6.1.2.1.1.2")
SYS_UPTIME = parse_oid("1.3.6.1.2.1.1.3")
SYS_NAME = parse_oid("1.3.6.1.2.1.1.5")
SYS_LOCATION = parse_oid("1.3.6.1.2.1.1.6")

# HOST-RESOURCES-MIB
HR_DEVICE_TYPE = parse_oid("1.3.6.1.2.1.25.3.2.1.2")
HR_DEVICE_DESCR = parse_oid("1.3.6.1.2.1.25.3.2.1.3")
HR_DEVICE_STATUS = parse_oid("1.3.6.1.2.1.25.3.2.1.5")
HR_PRINTER_STATUS = parse_oid("1.3.6.1.2.1.25.3.5.1.1")
HR_PRINTER_ERROR_STATE = parse_oid("1.3.6.1.2.1.25.3.5.1.2")
HR_DEVICE_PRINTER = parse_oid("1.3.6.1.2.1.25.3.1.5")

# Printer-MIB (RFC 3805)
PRT = parse_oid("1.3.6.1.2.1.43")
PRT_GENERAL_RESET = parse_oid("1.3.6.1.2.1.43.5.1.1.3")
PRT_GENERAL_PRINTER_NAME = parse_oid("1.3.6.1.2.1.43.5.1.1.16")
PRT_GENERAL_SERIAL = parse_oid("1.3.6.1.2.1.43.5.1.1.17")
PRT_INPUT_MAX = parse_oid("1.3.6.1.2.1.43.8.2.1.9")
PRT_INPUT_CURRENT = parse_oid("1.3.6.1.2.1.43.8.2.1.10")
PRT_INPUT_NAME = parse_oid("1.3.6.1.2.1.43.8.2.1.13")
PRT_INPUT_DESCRIPTION = parse_oid("1.3.6.1.2.1.43.8.2.1.18")
PRT_MARKER_LIFE_COUNT = parse_oid("1.3.6.1.2.1.43.10.2.1.4")
PRT_SUPPLY_COLORANT = parse_oid("1.3.6.1.2.1.43.11.1.1.3")
PRT_SUPPLY_CLASS = parse_oid("1.3.6.1.2.1.43.11.1.1.4")
PRT_SUPPLY_TYPE = parse_oid("1.3.6.1.2.1.43.11.1.1.5")
PRT_SUPPLY_DESCRIPTION = parse_oid("1.3.6.1.2.1.43.11.1.1.6")
PRT_SUPPLY_MAX = parse_oid("1.3.6.1.2.1.43.11.1.1.8")
PRT_SUPPLY_LEVEL = parse_oid("1.3.6.1.2.1.43.11.1.1.9")
PRT_COLORANT_VALUE = parse_oid("1.3.6.1.2.1.43.12.1.1.4")
PRT_ALERT_SEVERITY = parse_oid("1.3.6.1.2.1.43.18.1.1.2")
PRT_ALERT_TRAINING = parse_oid("1.3.6.1.2.1.43.18.1.1.3")
PRT_ALERT_GROUP = parse_oid("1.3.6.1.2.1.43.18.1.1.4")
PRT_ALERT_GROUP_INDEX = parse_oid("1.3.6.1.2.1.43.18.1.1.5")
PRT_ALERT_LOCATION = parse_oid("1.3.6.1.2.1.43.18.1.1.6")
PRT_ALERT_CODE = parse_oid("1.3.6.1.2.1.43.18.1.1.7")
PRT_ALERT_DESCRIPTION = parse_oid("1.3.6.1.2.1.43.18.1.1.8")
PRT_ALERT_TIME = parse_oid("1.3.6.1.2.1.43.18.1.1.9")

# Vendor counters (scalars). HP: IJXXXX/LaserJet MIB; Xerox: XEROX-HOST-RESOURCES-EXT-MIB.
HP_TOTAL = parse_oid("1.3.6.1.4.1.11.2.3.9.4.2.1.4.1.2.5")
HP_MONO = parse_oid("1.3.6.1.4.1.11.2.3.9.4.2.1.4.1.2.6")
HP_COLOUR = parse_oid("1.3.6.1.4.1.11.2.3.9.4.2.1.4.1.2.7")
XEROX_TOTAL = parse_oid("1.3.6.1.4.1.253.8.53.13.2.1.6.1.20.1")
XEROX_COLOUR = parse_oid("1.3.6.1.4.1.253.8.53.13.2.1.6.1.20.33")
XEROX_BLACK = parse_oid("1.3.6.1.4.1.253.8.53.13.2.1.6.1.20.34")


def before(oid: Oid) -> Oid:
    """The OID just before a leaf: GETNEXT on it returns the leaf itself."""
    return (*oid[:-1], oid[-1] - 1)


# What one poll asks for: scalars once (non-repeaters), columns as rows (repeaters).
# A scalar is asked by its parent (GETNEXT gives the .0 instance); the Xerox counters are
# table cells without .0, asked through the OID just before them.
SCALARS: tuple[Oid, ...] = (
    SYS_DESCR,
    SYS_OBJECT_ID,
    SYS_UPTIME,
    SYS_NAME,
    SYS_LOCATION,
    # Columns whose first row is all we need (one printer per agent): GETNEXT on the
    # column gives that row, at the cost of a scalar instead of a full repetition.
    HR_DEVICE_DESCR,
    HR_DEVICE_STATUS,
    HR_PRINTER_STATUS,
    HR_PRINTER_ERROR_STATE,
    PRT_GENERAL_PRINTER_NAME,
    PRT_GENERAL_SERIAL,
    PRT_MARKER_LIFE_COUNT,
    HP_TOTAL,
    HP_MONO,
    HP_COLOUR,
    before(XEROX_TOTAL),
    before(XEROX_COLOUR),
    before(XEROX_BLACK),
)
# What each scalar request must answer with (its own subtree, or the leaf after it).
SCALAR_ACCEPTS: dict[Oid, Oid] = {before(o): o for o in (XEROX_TOTAL, XEROX_COLOUR, XEROX_BLACK)}
# Tables read row by row (repeaters).
COLUMNS: tuple[Oid, ...] = (
    PRT_SUPPLY_COLORANT,
    PRT_SUPPLY_TYPE,
    PRT_SUPPLY_DESCRIPTION,
    PRT_SUPPLY_MAX,
    PRT_SUPPLY_LEVEL,
    PRT_COLORANT_VALUE,
    PRT_INPUT_MAX,
    PRT_INPUT_CURRENT,
    PRT_INPUT_NAME,
    PRT_ALERT_SEVERITY,
    PRT_ALERT_TRAINING,
    PRT_ALERT_GROUP,
    PRT_ALERT_GROUP_INDEX,
    PRT_ALERT_LOCATION,
    PRT_ALERT_CODE,
    PRT_ALERT_DESCRIPTION,
    PRT_ALERT_TIME,
)

# Enterprise numbers (sysObjectID 1.3.6.1.4.1.N...) to vendor names.
ENTERPRISES = {
    11: "HP",
    236: "Samsung",
    253: "Xerox",
    297: "Fuji Xerox",
    367: "Ricoh",
    641: "Lexmark",
    674: "Dell",
    1129: "Toshiba",
    1248: "Epson",
    1347: "Kyocera",
    1602: "Canon",
    2001: "OKI",
    2385: "Sharp",
    2435: "Brother",
    10642: "Zebra",
    18334: "Konica Minolta",
    3369: "TSC",
}
