"""The printer's own alert table as people read it: translated labels, and where it
disagrees with the supply levels the same printer reports."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from fmp_snmp.alerts import CODES, GROUPS, MARKER_SUPPLIES_GROUP, SUPPLY_EMPTY_CODES, SUPPLY_LOW_CODES
from printers.models import DeviceAlert, Supply

SEVERITY_LABELS = {"critical": _("Critical"), "warning": _("Warning"), "other": _("Information")}
SEVERITY_BADGES = {"critical": "danger", "warning": "warning", "other": "secondary"}
TRAINING_LABELS = {
    "other": _("Other"),
    "unknown": _("Unknown"),
    "untrained": _("Anyone"),
    "trained": _("A trained user"),
    "field_service": _("Field service"),
    "management": _("The printer's administrator"),
    "no_intervention": _("Nobody (no action needed)"),
}
GROUP_LABELS = {
    "other": _("Other"),
    "unknown": _("Unknown"),
    "storage": _("Storage"),
    "device": _("Device"),
    "general_printer": _("Printer"),
    "cover": _("Cover"),
    "localization": _("Language settings"),
    "input": _("Input tray"),
    "output": _("Output tray"),
    "marker": _("Print engine"),
    "marker_supplies": _("Supply"),
    "marker_colorant": _("Colorant"),
    "media_path": _("Paper path"),
    "channel": _("Connection"),
    "interpreter": _("Print language"),
    "console_display": _("Control panel display"),
    "console_lights": _("Control panel lights"),
    "alert": _("Alert table"),
    "finisher": _("Finisher"),
    "finisher_supply": _("Finisher supply"),
    "finisher_supply_media_input": _("Finisher input"),
    "finisher_attribute": _("Finisher setting"),
}
CODE_LABELS = {
    "other": _("Other"),
    "unknown": _("Unknown"),
    "cover_open": _("Cover open"),
    "cover_closed": _("Cover closed"),
    "interlock_open": _("Interlock open"),
    "interlock_closed": _("Interlock closed"),
    "configuration_change": _("Configuration changed"),
    "jam": _("Paper jam"),
    "subunit_missing": _("Part missing"),
    "subunit_life_almost_over": _("Part near end of life"),
    "subunit_life_over": _("Part at end of life"),
    "subunit_almost_empty": _("Almost empty"),
    "subunit_empty": _("Empty"),
    "subunit_almost_full": _("Almost full"),
    "subunit_full": _("Full"),
    "subunit_near_limit": _("Near its limit"),
    "subunit_at_limit": _("At its limit"),
    "subunit_opened": _("Opened"),
    "subunit_closed": _("Closed"),
    "subunit_turned_on": _("Turned on"),
    "subunit_turned_off": _("Turned off"),
    "subunit_offline": _("Offline"),
    "subunit_power_saver": _("Power saving"),
    "subunit_warming_up": _("Warming up"),
    "subunit_added": _("Part added"),
    "subunit_removed": _("Part removed"),
    "subunit_resource_added": _("Resource added"),
    "subunit_resource_removed": _("Resource removed"),
    "subunit_recoverable_failure": _("Recoverable failure"),
    "subunit_unrecoverable_failure": _("Failure (needs service)"),
    "subunit_recoverable_storage_error": _("Recoverable storage error"),
    "subunit_unrecoverable_storage_error": _("Storage failure"),
    "subunit_motor_failure": _("Motor failure"),
    "subunit_memory_exhausted": _("Memory full"),
    "subunit_under_temperature": _("Temperature too low"),
    "subunit_over_temperature": _("Temperature too high"),
    "subunit_timing_failure": _("Timing failure"),
    "subunit_thermistor_failure": _("Thermistor failure"),
    "door_open": _("Door open"),
    "door_closed": _("Door closed"),
    "power_up": _("Powered on"),
    "power_down": _("Powered off"),
    "printer_nms_reset": _("Reset remotely"),
    "printer_manual_reset": _("Reset at the printer"),
    "printer_ready_to_print": _("Ready to print"),
    "input_tray_missing": _("Input tray missing"),
    "input_media_size_change": _("Paper size changed"),
    "input_media_weight_change": _("Paper weight changed"),
    "input_media_type_change": _("Paper type changed"),
    "input_media_color_change": _("Paper colour changed"),
    "input_media_form_parts_change": _("Form parts changed"),
    "input_media_supply_low": _("Paper low"),
    "input_media_supply_empty": _("Paper out"),
    "input_media_change_request": _("Paper change requested"),
    "input_manual_input_request": _("Manual feed requested"),
    "input_tray_position_failure": _("Input tray not in place"),
    "input_tray_elevation_failure": _("Input tray lift failure"),
    "input_cannot_feed_size_selected": _("Cannot feed the selected size"),
    "output_tray_missing": _("Output tray missing"),
    "output_tray_almost_full": _("Output tray almost full"),
    "output_tray_full": _("Output tray full"),
    "output_mailbox_select_failure": _("Mailbox selection failure"),
    "fuser_under_temperature": _("Fuser too cold"),
    "fuser_over_temperature": _("Fuser too hot"),
    "fuser_timing_failure": _("Fuser timing failure"),
    "fuser_thermistor_failure": _("Fuser thermistor failure"),
    "adjusting_print_quality": _("Adjusting print quality"),
    "toner_empty": _("Toner empty"),
    "ink_empty": _("Ink empty"),
    "ribbon_empty": _("Ribbon empty"),
    "toner_almost_empty": _("Toner low"),
    "ink_almost_empty": _("Ink low"),
    "ribbon_almost_empty": _("Ribbon low"),
    "waste_toner_almost_full": _("Waste toner container almost full"),
    "waste_ink_almost_full": _("Waste ink container almost full"),
    "waste_toner_full": _("Waste toner container full"),
    "waste_ink_full": _("Waste ink container full"),
    "opc_life_almost_over": _("Drum near end of life"),
    "opc_life_over": _("Drum at end of life"),
    "developer_almost_empty": _("Developer low"),
    "developer_empty": _("Developer empty"),
    "toner_cartridge_missing": _("Toner cartridge missing"),
    "media_path_tray_missing": _("Paper path tray missing"),
    "media_path_tray_almost_full": _("Paper path tray almost full"),
    "media_path_tray_full": _("Paper path tray full"),
    "cannot_duplex_media_selected": _("Cannot print two-sided on the selected paper"),
    "interpreter_memory_increase": _("Print language memory increased"),
    "interpreter_memory_decrease": _("Print language memory decreased"),
    "interpreter_cartridge_added": _("Font cartridge added"),
    "interpreter_cartridge_deleted": _("Font cartridge removed"),
    "interpreter_resource_added": _("Print resource added"),
    "interpreter_resource_deleted": _("Print resource removed"),
    "interpreter_resource_unavailable": _("Print resource unavailable"),
    "interpreter_complex_page": _("Page too complex"),
    "alert_removal_of_binary_change_entry": _("Alert removed"),
}
# What a trap was, when it carries no printer alert (fmp_snmp.traps kinds).
TRAP_KIND_LABELS = {
    "printer_alert": _("Printer alert"),
    "cold_start": _("The printer started"),
    "warm_start": _("The printer restarted"),
    "link_down": _("Network link down"),
    "link_up": _("Network link up"),
    "authentication_failure": _("Refused SNMP request (wrong community)"),
    "other": _("Other trap"),
}
# A supply the printer calls low while it reads at least this level (or empty while it
# reads more than EMPTY_DISAGREES_ABOVE): the two do not agree, and the alert says so.
LOW_DISAGREES_FROM = 50
EMPTY_DISAGREES_ABOVE = 10


@dataclass
class AlertRow:
    """One alert as shown: the stored row, its labels, and what the supply level says."""

    alert: DeviceAlert
    severity: str
    badge: str
    training: str
    group: str
    code: str
    supply: Supply | None
    disagrees: bool


def alert_rows(alerts: list[DeviceAlert], supplies: list[Supply]) -> list[AlertRow]:
    """The device's alerts with their labels, each marker-supply alert with its supply (by
    the alert's group index) and whether the supply's level contradicts it (a printer
    reporting "toner low" on a cartridge it reads at 100 %): shown as such, never hidden."""
    by_index = {s.index: s for s in supplies}
    rows = []
    for alert in alerts:
        supply = by_index.get(alert.group_index) if alert.group == MARKER_SUPPLIES_GROUP else None
        disagrees = False
        if supply is not None and supply.percent is not None:
            if alert.code in SUPPLY_LOW_CODES:
                disagrees = supply.percent >= LOW_DISAGREES_FROM
            elif alert.code in SUPPLY_EMPTY_CODES:
                disagrees = supply.percent > EMPTY_DISAGREES_ABOVE
        code = CODES.get(alert.code, "other") if alert.code is not None else "unknown"
        group = GROUPS.get(alert.group, "other") if alert.group is not None else "unknown"
        rows.append(
            AlertRow(
                alert=alert,
                severity=SEVERITY_LABELS.get(alert.severity, SEVERITY_LABELS["other"]),
                badge=SEVERITY_BADGES.get(alert.severity, "secondary"),
                training=TRAINING_LABELS.get(alert.training, TRAINING_LABELS["unknown"]),
                group=GROUP_LABELS.get(group, GROUP_LABELS["other"]),
                code=CODE_LABELS.get(code, CODE_LABELS["other"]),
                supply=supply,
                disagrees=disagrees,
            )
        )
    return rows
