"""The Printer-MIB alert table (RFC 3805 prtAlertTable): its codes, groups and levels.

A printer lists there what it currently complains about ("toner low", "tray 2 open", "jam in
the fuser"), with a severity, who should act (the training level), the part of the printer
(group and its row index, e.g. the marker supply of index 1) and the printer's uptime when
the alert was raised. Names are the MIB's; the portal translates them for people.
"""

from __future__ import annotations

from dataclasses import dataclass

# PrtAlertSeverityLevelTC
SEVERITIES = {1: "other", 3: "critical", 4: "warning", 5: "warning"}  # 5: a warning that clears itself
# PrtAlertTrainingLevelTC
TRAINING_LEVELS = {
    1: "other",
    2: "unknown",
    3: "untrained",
    4: "trained",
    5: "field_service",
    6: "management",
    7: "no_intervention",
}
# PrtAlertGroupTC
GROUPS = {
    1: "other",
    2: "unknown",
    3: "storage",
    4: "device",
    5: "general_printer",
    6: "cover",
    7: "localization",
    8: "input",
    9: "output",
    10: "marker",
    11: "marker_supplies",
    12: "marker_colorant",
    13: "media_path",
    14: "channel",
    15: "interpreter",
    16: "console_display",
    17: "console_lights",
    18: "alert",
    30: "finisher",
    31: "finisher_supply",
    32: "finisher_supply_media_input",
    33: "finisher_attribute",
}
MARKER_SUPPLIES_GROUP = 11
# PrtAlertCodeTC
CODES = {
    1: "other",
    2: "unknown",
    3: "cover_open",
    4: "cover_closed",
    5: "interlock_open",
    6: "interlock_closed",
    7: "configuration_change",
    8: "jam",
    9: "subunit_missing",
    10: "subunit_life_almost_over",
    11: "subunit_life_over",
    12: "subunit_almost_empty",
    13: "subunit_empty",
    14: "subunit_almost_full",
    15: "subunit_full",
    16: "subunit_near_limit",
    17: "subunit_at_limit",
    18: "subunit_opened",
    19: "subunit_closed",
    20: "subunit_turned_on",
    21: "subunit_turned_off",
    22: "subunit_offline",
    23: "subunit_power_saver",
    24: "subunit_warming_up",
    25: "subunit_added",
    26: "subunit_removed",
    27: "subunit_resource_added",
    28: "subunit_resource_removed",
    29: "subunit_recoverable_failure",
    30: "subunit_unrecoverable_failure",
    31: "subunit_recoverable_storage_error",
    32: "subunit_unrecoverable_storage_error",
    33: "subunit_motor_failure",
    34: "subunit_memory_exhausted",
    35: "subunit_under_temperature",
    36: "subunit_over_temperature",
    37: "subunit_timing_failure",
    38: "subunit_thermistor_failure",
    501: "door_open",
    502: "door_closed",
    503: "power_up",
    504: "power_down",
    505: "printer_nms_reset",
    506: "printer_manual_reset",
    507: "printer_ready_to_print",
    801: "input_tray_missing",
    802: "input_media_size_change",
    803: "input_media_weight_change",
    804: "input_media_type_change",
    805: "input_media_color_change",
    806: "input_media_form_parts_change",
    807: "input_media_supply_low",
    808: "input_media_supply_empty",
    809: "input_media_change_request",
    810: "input_manual_input_request",
    811: "input_tray_position_failure",
    812: "input_tray_elevation_failure",
    813: "input_cannot_feed_size_selected",
    901: "output_tray_missing",
    902: "output_tray_almost_full",
    903: "output_tray_full",
    904: "output_mailbox_select_failure",
    1001: "fuser_under_temperature",
    1002: "fuser_over_temperature",
    1003: "fuser_timing_failure",
    1004: "fuser_thermistor_failure",
    1005: "adjusting_print_quality",
    1101: "toner_empty",
    1102: "ink_empty",
    1103: "ribbon_empty",
    1104: "toner_almost_empty",
    1105: "ink_almost_empty",
    1106: "ribbon_almost_empty",
    1107: "waste_toner_almost_full",
    1108: "waste_ink_almost_full",
    1109: "waste_toner_full",
    1110: "waste_ink_full",
    1111: "opc_life_almost_over",
    1112: "opc_life_over",
    1113: "developer_almost_empty",
    1114: "developer_empty",
    1115: "toner_cartridge_missing",
    1301: "media_path_tray_missing",
    1302: "media_path_tray_almost_full",
    1303: "media_path_tray_full",
    1304: "cannot_duplex_media_selected",
    1501: "interpreter_memory_increase",
    1502: "interpreter_memory_decrease",
    1503: "interpreter_cartridge_added",
    1504: "interpreter_cartridge_deleted",
    1505: "interpreter_resource_added",
    1506: "interpreter_resource_deleted",
    1507: "interpreter_resource_unavailable",
    1509: "interpreter_complex_page",
    1801: "alert_removal_of_binary_change_entry",
}
# Alerts that say a marker supply runs out (or is out): compared with the supply's level.
SUPPLY_LOW_CODES = frozenset({12, 1104, 1105, 1106, 1113})
SUPPLY_EMPTY_CODES = frozenset({13, 1101, 1102, 1103, 1114})
MAX_ALERTS = 100
DESCRIPTION_LIMIT = 255


@dataclass(frozen=True)
class AlertReading:
    """One row of the printer's alert table, as polled."""

    index: int
    severity: str = "other"
    training: str = "unknown"
    group: int | None = None
    group_index: int | None = None
    location: int | None = None
    code: int | None = None
    description: str = ""
    age_seconds: int | None = None  # how long before the poll it was raised (from its uptime stamp)

    @property
    def code_name(self) -> str:
        return CODES.get(self.code, "other") if self.code is not None else "unknown"

    @property
    def group_name(self) -> str:
        return GROUPS.get(self.group, "other") if self.group is not None else "unknown"

    def says_supply_low(self) -> bool:
        return self.group == MARKER_SUPPLIES_GROUP and self.code in SUPPLY_LOW_CODES

    def says_supply_empty(self) -> bool:
        return self.group == MARKER_SUPPLIES_GROUP and self.code in SUPPLY_EMPTY_CODES
