"""The SNMP client against real simulated agents (no mocks)."""

import pytest

from fmp_snmp import oids
from fmp_snmp.client import SnmpClient
from fmp_snmp.probe import probe
from fmp_snmp.simfleet import SPECIAL_DEVICES
from fmp_snmp.testing import V3, free_udp_port, run
from fmp_snmp.types import SnmpResponseError, SnmpTarget, SnmpTimeout, Special


async def _with_client(fn):
    async with SnmpClient() as client:
        return await fn(client)


def test_get_returns_typed_values(sim_target):
    target = sim_target("sim-xerox-colour")
    result = run(
        _with_client(
            lambda c: c.get(target, [(*oids.SYS_NAME, 0), (*oids.SYS_UPTIME, 0), (*oids.SYS_OBJECT_ID, 0)])
        )
    )
    assert result[0].value == b"EC2-25L-WJ50"
    assert result[1].value == 612345600
    assert result[2].value == "1.3.6.1.4.1.253.1.1"


def test_missing_object_is_a_special_value_in_v2c(sim_target):
    target = sim_target("sim-xerox-colour")
    result = run(_with_client(lambda c: c.get(target, [(1, 3, 6, 1, 4, 1, 99999, 1, 0)])))
    assert result[0].value in (Special.NO_SUCH_OBJECT, Special.NO_SUCH_INSTANCE)


def test_v1_missing_object_is_a_no_such_name_error(sim_target):
    target = sim_target("sim-xerox-colour", version="1")
    with pytest.raises(SnmpResponseError) as info:
        run(_with_client(lambda c: c.get(target, [(*oids.SYS_NAME, 0), (1, 3, 6, 1, 4, 1, 99999, 1, 0)])))
    assert info.value.status == 2 and info.value.index == 2


def test_bulk_returns_scalars_then_rows(sim_target):
    target = sim_target("sim-xerox-colour")
    answer = run(_with_client(lambda c: c.get_bulk(target, [oids.SYS_NAME], [oids.PRT_SUPPLY_LEVEL], 3)))
    assert answer[0].oid == (*oids.SYS_NAME, 0)
    assert [vb.oid[-1] for vb in answer[1:4]] == [1, 2, 3]


def test_walk_a_table_in_v1_and_v2c(sim_target):
    for version in ("1", "2c"):
        target = sim_target("sim-xerox-colour", version=version)
        rows = run(_with_client(lambda c, t=target: c.walk(t, oids.PRT_SUPPLY_DESCRIPTION)))
        assert [vb.value for vb in rows][:2] == [b"Black Toner Cartridge", b"Cyan Toner Cartridge"], version
        assert len(rows) == 6


def test_set_location_is_written(sim_target):
    target = sim_target("sim-paper-out")
    answer = run(_with_client(lambda c: c.set(target, (*oids.SYS_LOCATION, 0), b"Room 101")))
    assert answer.value == b"Room 101"
    again = run(_with_client(lambda c: c.get(target, [(*oids.SYS_LOCATION, 0)])))
    assert again[0].value == b"Room 101"


def test_silent_agent_times_out_after_the_retries():
    target = SnmpTarget("127.0.0.1", free_udp_port(), timeout=0.2, retries=1)
    import time

    started = time.monotonic()
    with pytest.raises(SnmpTimeout):
        run(_with_client(lambda c: c.get(target, [(*oids.SYS_NAME, 0)])))
    assert 0.35 < time.monotonic() - started < 2


def test_wrong_community_is_a_timeout_not_a_crash(sim_target):
    target = sim_target("no-such-community", timeout=0.3, retries=0)
    with pytest.raises(SnmpTimeout):
        run(_with_client(lambda c: c.get(target, [(*oids.SYS_NAME, 0)])))


def test_many_requests_in_flight_on_one_socket(sim_target):
    import asyncio

    targets = [
        sim_target(dev) for dev in ["sim-xerox-colour", "sim-hp-mono", "sim-paper-out", "sim-encodings"] * 5
    ]

    async def main(client):
        return await asyncio.gather(*(client.get(t, [(*oids.SYS_NAME, 0)]) for t in targets))

    answers = run(_with_client(main))
    assert [a[0].value for a in answers[:4]] == [
        b"EC2-25L-WJ50",
        b"HP-M607-2F",
        b"WC5665-1",
        "Imprimante-Étage-3".encode(),
    ]


def v3_target(agent, **overrides) -> SnmpTarget:
    options = {
        "version": "3",
        "v3_user": V3["user"],
        "v3_auth_protocol": V3["auth"],
        "v3_auth_key": V3["auth_key"],
        "v3_priv_protocol": V3["priv"],
        "v3_priv_key": V3["priv_key"],
        **overrides,
    }
    return SnmpTarget(agent["host"], agent["port"], **options)


def test_snmpv3_with_authentication_and_privacy(snmpd_agent):
    from fmp_snmp.probe import probe

    result = run(_with_client(lambda c: probe(c, v3_target(snmpd_agent))))
    assert result.ok, result.error
    data = result.normalised
    assert data.serial == "SN0123456789" and data.counters["total"] == 1234567
    assert [s.percent for s in data.supplies] == [60, 6, 49, 93]


def test_snmpv3_wrong_key_fails_cleanly(snmpd_agent):
    from fmp_snmp.types import SnmpError

    target = v3_target(snmpd_agent, v3_auth_key="wrong-key-123", timeout=0.5, retries=0)
    with pytest.raises(SnmpError):
        run(_with_client(lambda c: c.get(target, [(*oids.SYS_NAME, 0)])))


@pytest.mark.parametrize("community", [dev.community for dev in SPECIAL_DEVICES])
def test_snmpv1_reads_the_same_printer_as_v2c(sim_target, community):
    """SNMPv1 has no GETBULK: the status, serial and life count (columns read as their first
    row) come by GETNEXT, and the end of the MIB (noSuchName) ends a walk, not the poll."""

    async def both():
        async with SnmpClient() as client:
            return [await probe(client, sim_target(community, version=v)) for v in ("1", "2c")]

    v1, v2c = run(both())
    assert v1.ok and v2c.ok, (v1.error, v2c.error)
    assert v1.normalised.serial and v1.normalised.as_json() == v2c.normalised.as_json()
