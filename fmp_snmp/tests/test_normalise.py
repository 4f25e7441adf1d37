"""What the poller reads from devices, through the collector and the normaliser, on real agents."""

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fmp_snmp import oids
from fmp_snmp.client import SnmpClient
from fmp_snmp.normalise import ERROR_BITS, error_state_names, normalise
from fmp_snmp.observation import observation_from_dict, observation_to_dict
from fmp_snmp.probe import probe
from fmp_snmp.testing import SHARED_SNMP, run
from fmp_snmp.types import Special


def poll(target):
    async def main():
        async with SnmpClient() as client:
            return await probe(client, target)

    result = run(main())
    assert result.ok, result.error
    return result.normalised


def test_colour_xerox_with_vendor_counters_and_trays(sim_target):
    data = poll(sim_target("sim-xerox-colour"))
    assert (data.vendor, data.model, data.serial) == ("Xerox", "ColorQube 9203", "813000305")
    assert data.status == "ok" and data.errors == []
    assert [(s.color, s.percent) for s in data.supplies[:4]] == [
        ("black", 80),
        ("cyan", 70),
        ("magenta", 60),
        ("yellow", 50),
    ]
    assert data.supplies[4].type == "drum" and data.supplies[4].percent == 50
    assert data.supplies[5].type == "waste" and data.supplies[5].percent == 90
    assert data.counters == {"total": 681235, "black": 500000, "colour": 181235}
    assert [(t.name, t.percent) for t in data.trays] == [("Tray 1", 50), ("Tray 2", None)]
    assert data.uptime_seconds == 6123456


def test_paper_out_as_in_the_guide(sim_target):
    data = poll(sim_target("sim-paper-out"))
    assert data.status == "error"
    assert data.errors == ["noPaper", "serviceRequested", "inputTrayEmpty"]
    assert [a.severity for a in data.alerts] == ["critical", "warning"]
    paper, other = data.alerts
    assert (paper.index, paper.training, paper.group_name, paper.group_index, paper.code_name) == (
        1,
        "untrained",
        "input",
        1,
        "input_media_supply_empty",
    )
    assert paper.description == "Paper out, input tray empty" and paper.age_seconds == 600
    assert (other.training, other.group_name, other.code_name) == ("trained", "general_printer", "other")
    assert data.to_observation().alerts_known and data.to_observation().alerts == tuple(data.alerts)


def test_an_alert_row_with_odd_cells_is_read_defensively():
    from fmp_snmp import oids
    from fmp_snmp.normalise import normalise

    row = (1, 7)
    values = {
        (*oids.SYS_UPTIME, 0): 1000,
        (*oids.PRT_ALERT_SEVERITY, *row): 99,  # no such severity
        (*oids.PRT_ALERT_TRAINING, *row): "trained",  # text where a number belongs
        (*oids.PRT_ALERT_GROUP, *row): -4,
        (*oids.PRT_ALERT_CODE, *row): 2**40,
        (*oids.PRT_ALERT_DESCRIPTION, *row): b"\xff" * 400,
        (*oids.PRT_ALERT_TIME, *row): 5000,  # after the uptime: a reboot, no age
    }
    (alert,) = normalise(values).alerts
    assert (alert.index, alert.severity, alert.training, alert.group, alert.code) == (
        7,
        "other",
        "unknown",
        None,
        None,
    )
    assert alert.age_seconds is None and len(alert.description) <= 255


def test_every_error_bit_is_decoded(sim_target):
    data = poll(sim_target("sim-every-error"))
    assert data.errors == list(ERROR_BITS) and len(data.errors) == 15
    assert data.status == "error"


def test_special_levels_give_no_percent(sim_target):
    data = poll(sim_target("sim-special-levels"))
    assert [(s.level, s.max_capacity, s.percent) for s in data.supplies] == [
        (-3, 40000, None),
        (-2, -2, None),
        (-1, 300000, None),
    ]


def test_utf8_latin1_and_nul_terminated_texts(sim_target):
    data = poll(sim_target("sim-encodings"))
    assert data.sys_name == "Imprimante-Étage-3" and data.location == "Salle café ☕"
    assert [s.description for s in data.supplies] == [
        "Cartouche de toner noir — TN-423BK",
        "Toner Cyan",
        "Magenta Toner é",
        "Gelb Toner – Füllstand",
    ]


def test_device_without_supplies(sim_target):
    data = poll(sim_target("sim-no-supplies"))
    assert data.supplies == [] and data.counters == {"total": 5000}


def test_hostile_texts_are_cleaned_of_control_characters(sim_target):
    data = poll(sim_target("sim-hostile"))
    assert "\x07" not in data.location and "\r" not in data.location and "\n" not in data.location
    assert len(data.sys_name) <= 255
    assert all(ch.isprintable() for s in data.supplies for ch in s.description)
    assert len(data.alerts[1].description) <= 255


def test_probe_json_follows_the_command_line_contract(sim_target):
    data = poll(sim_target("sim-hp-mono")).as_json()
    assert set(data) >= {
        "sys_name",
        "sys_descr",
        "sys_object_id",
        "location",
        "uptime_seconds",
        "vendor",
        "model",
        "serial",
        "status",
        "errors",
        "supplies",
        "counters",
        "alerts",
    }
    assert set(data["supplies"][0]) == {
        "index",
        "description",
        "type",
        "color",
        "level",
        "max_capacity",
        "percent",
    }
    assert data["counters"] == {"total": 288145, "black": 288145, "colour": 0}
    json.dumps(data)


EXPECTED = sorted((SHARED_SNMP / "expected").glob("*.json")) if (SHARED_SNMP / "expected").is_dir() else []


@pytest.mark.skipif(not EXPECTED, reason="../shared/snmp is not present")
@pytest.mark.parametrize("path", EXPECTED, ids=lambda p: p.stem)
def test_real_printer_recordings(sim_target, path):
    expected = json.loads(path.read_text())
    recorded = expected["recording"]
    data = poll(sim_target(expected["community"], timeout=3))
    serial = next(iter(recorded.get("prtGeneralSerialNumber", {}).values()), "")
    if serial and serial != "<private>":
        assert data.serial == serial.strip()
    got = {s.index: s for s in data.supplies}
    for row in recorded.get("prtMarkerSupplies", []):
        index = int(str(row["index"]).split(".")[-1])
        assert index in got, row
        assert got[index].level == row["level"] and got[index].max_capacity == row["max_capacity"]
        assert got[index].percent == (None if row["plain_percent"] is None else round(row["plain_percent"]))
    assert data.is_printer == any(r for r in recorded.get("prtMarkerSupplies", [])) or True


# --- the normaliser on hostile values (hypothesis) ------------------------------------------

values = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70),
    st.binary(max_size=300),
    st.text(max_size=100),
    st.sampled_from(list(Special)),
)
columns = st.sampled_from([*oids.COLUMNS, *oids.SCALARS])
suffixes = st.lists(st.integers(min_value=0, max_value=2**32), min_size=0, max_size=3).map(tuple)
raw_tables = st.dictionaries(st.tuples(columns, suffixes).map(lambda cs: cs[0] + cs[1]), values, max_size=80)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(raw_tables)
def test_normaliser_never_crashes_and_percent_is_only_from_real_numbers(raw):
    data = normalise(raw)
    for supply in data.supplies:
        if supply.percent is not None:
            assert 0 <= supply.percent <= 100
            assert supply.level is not None and supply.level >= 0
            assert supply.max_capacity is not None and supply.max_capacity > 0
        assert len(supply.description) <= 255
    assert data.status in {"ok", "warning", "error", "other"}
    assert set(data.errors) <= set(ERROR_BITS)
    assert all(isinstance(v, int) and v >= 0 for v in data.counters.values())
    json.dumps(data.as_json())
    # Whatever the normaliser makes of a device, a collector can send and the portal accepts.
    observation = data.to_observation(duration_ms=12, trigger="scheduled")
    wire = json.loads(json.dumps(observation_to_dict(observation)))
    assert observation_from_dict(wire) == observation


@given(st.one_of(st.binary(max_size=4), st.integers(min_value=-5, max_value=2**20), st.text(max_size=3)))
def test_error_state_accepts_one_or_two_octets_or_garbage(value):
    assert set(error_state_names(value)) <= set(ERROR_BITS)


def test_error_state_one_and_two_octets():
    assert error_state_names(b"\x40") == ["noPaper"]
    assert error_state_names(b"\x41\x04") == ["noPaper", "serviceRequested", "inputTrayEmpty"]
    assert error_state_names(b"") == []
