"""The wire form of an observation: whatever a collector (or anyone) sends, the parser either
returns an observation or refuses it with ObservationInvalid, never another exception."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fmp_snmp.alerts import AlertReading
from fmp_snmp.observation import (
    COUNTER_NAMES,
    TEXT_LIMITS,
    DeviceObservation,
    ObservationInvalid,
    SupplyReading,
    observation_from_dict,
    observation_to_dict,
)

FIELDS = sorted(observation_to_dict(DeviceObservation(reachable=True)))
SUPPLY_FIELDS = ["index", "description", "type", "colour", "level", "max_capacity"]

# Any text, lone surrogates included (st.text() leaves them out unless asked).
texts = st.one_of(
    st.text(max_size=20),
    st.text(st.characters(codec=None, categories=None), max_size=20),
    st.sampled_from(["\ud800", "ok\udfff", "\x00", "toner", "black", "ok", "jammed", "total"]),
)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    texts,
)
json_like = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(texts, inner, max_size=4),
    ),
    max_leaves=12,
)


def _parse(data) -> DeviceObservation | None:
    try:
        observation = observation_from_dict(data)
    except ObservationInvalid as exc:
        str(exc).encode("utf-8")  # the reason itself can be stored and shown
        return None
    # What is accepted can be stored: every text encodes, and it goes back to JSON unchanged.
    json.dumps(observation_to_dict(observation), ensure_ascii=False).encode("utf-8")
    return observation


def _valid() -> dict:
    observation = DeviceObservation(
        reachable=True,
        overall="warning",
        conditions=("lowToner",),
        supplies=(
            SupplyReading(
                index=1, description="Black", type="toner", colour="black", level=5, max_capacity=10
            ),
        ),
        counters={"total": 12},
        alerts=(
            AlertReading(
                index=3,
                severity="warning",
                training="trained",
                group=11,
                group_index=1,
                location=0,
                code=1104,
                description="Black toner low",
                age_seconds=600,
            ),
        ),
        alerts_known=True,
    )
    return json.loads(json.dumps(observation_to_dict(observation)))


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.sampled_from(FIELDS), json_like)
def test_any_value_for_any_field_parses_or_is_refused(name, value):
    data = _valid()
    data[name] = value
    _parse(data)


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.sampled_from(SUPPLY_FIELDS), json_like)
def test_any_value_for_any_supply_field_parses_or_is_refused(name, value):
    data = _valid()
    data["supplies"][0][name] = value
    _parse(data)


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.sampled_from(sorted(COUNTER_NAMES)), json_like, texts)
def test_any_counter_parses_or_is_refused(name, value, other):
    data = _valid()
    data["counters"] = {name: value, other: value}
    _parse(data)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(json_like)
def test_any_document_parses_or_is_refused(value):
    _parse(value)
    _parse({"reachable": True, **value} if isinstance(value, dict) else {"reachable": True, "x": value})


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.dictionaries(st.sampled_from(FIELDS), json_like, max_size=len(FIELDS)))
def test_any_mix_of_fields_parses_or_is_refused(values):
    data = _valid()
    data.update(values)
    _parse(data)


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (lambda d: d.update(conditions=[["lowToner"]]), "conditions: a list of strings is expected"),
        (lambda d: d.update(conditions=[{"a": 1}]), "conditions: a list of strings is expected"),
        (lambda d: d.update(overall=["ok"]), "overall: a string is expected"),
        (lambda d: d.update(overall={"ok": 1}), "overall: a string is expected"),
        (lambda d: d["supplies"][0].update(colour=["black"]), "supplies[0].colour: a string is expected"),
        (lambda d: d["supplies"][0].update(type={"toner": 1}), "supplies[0].type: a string is expected"),
        (lambda d: d.update(serial="\ud800"), "serial: not valid Unicode text"),
        (lambda d: d["supplies"][0].update(description="ok\udfff"), "supplies[0].description: not valid"),
        (lambda d: d.update({"\ud800": 1}), "unknown field \\ud800"),
        (lambda d: d.update(counters={"total": 1, "\ud800": 2}), "counters: unknown counter"),
        (lambda d: d["alerts"][0].update(severity="panic"), "alerts[0].severity: unknown severity"),
        (lambda d: d["alerts"][0].update(code=-1), "alerts[0].code: -1 is outside"),
        (lambda d: d["alerts"][0].update(description="x" * 256), "alerts[0].description: longer than 255"),
        (lambda d: d["alerts"][0].update(extra=1), "alerts[0]: unknown field extra"),
        (lambda d: d.update(alerts=d["alerts"] * 2), "alerts: the same index twice"),
        (lambda d: d.update(alerts=[{"index": n} for n in range(101)]), "alerts: a list of at most 100"),
        (lambda d: d.update(alerts_known="yes"), "alerts_known: true or false is expected"),
    ],
)
def test_hostile_values_are_refused_with_the_reason(change, reason):
    data = _valid()
    change(data)
    with pytest.raises(ObservationInvalid) as info:
        observation_from_dict(data)
    assert reason in str(info.value)
    str(info.value).encode("utf-8")


def test_a_valid_observation_still_parses():
    observation = observation_from_dict(_valid())
    assert observation.overall == "warning"
    assert observation.conditions == ("lowToner",)
    assert observation.supplies[0].percent == 50
    assert set(TEXT_LIMITS) <= set(FIELDS)
    assert observation.alerts_known and observation.alerts[0].says_supply_low()
    assert (observation.alerts[0].code_name, observation.alerts[0].group_name) == (
        "toner_almost_empty",
        "marker_supplies",
    )
    assert observation_from_dict(observation_to_dict(observation)) == observation


def test_an_earlier_collector_without_the_alert_table_leaves_it_unknown():
    data = _valid()
    del data["alerts"], data["alerts_known"]
    observation = observation_from_dict(data)
    assert observation.alerts == () and not observation.alerts_known
