"""The portal's configuration as the collector reads it: what is malformed is skipped, said."""

from __future__ import annotations

import pytest

from fmp_collector.runner import Backoff, ConfigInvalid, parse_config


def test_devices_ranges_and_intervals_are_read():
    config = parse_config(
        {
            "version": "abc",
            "intervals": {"poll": 120, "commands": 5, "heartbeat": 60, "discovery": 3600},
            "devices": [
                {
                    "id": 17,
                    "host": "10.1.2.3",
                    "port": 161,
                    "version": "2c",
                    "community": "public",
                    "interval": 300,
                },
                {"id": 18, "host": "printer.lan", "version": "1", "community": "c"},
            ],
            "discovery": [
                {"id": 3, "cidr": "10.1.2.0/24", "port": 161, "version": "2c", "community": "public"}
            ],
        },
        timeout=0.5,
        retries=0,
    )
    assert config.version == "abc" and config.intervals["discovery"] == 3600
    first, second = config.devices[17], config.devices[18]
    assert (first.target.host, first.target.port, first.interval) == ("10.1.2.3", 161, 300)
    assert (first.target.timeout, first.target.retries) == (0.5, 0)
    assert (second.target.version, second.interval) == ("1", 120)  # the poll interval by default
    assert str(config.ranges[0].network) == "10.1.2.0/24"
    assert config.skipped == []


def test_malformed_entries_are_skipped_with_a_reason():
    config = parse_config(
        {
            "intervals": {"poll": "often", "commands": -4},
            "devices": [
                {"id": "x", "host": "10.0.0.1"},
                {"id": 2, "host": ""},
                {"id": 3, "host": "10.0.0.3", "port": 70000},
                {"id": 4, "host": "10.0.0.4", "version": "4"},
                {"id": 5, "host": "10.0.0.5"},
                "nonsense",
            ],
            "discovery": [{"id": 1, "cidr": "not-a-network"}, {"id": 2, "cidr": "10.0.0.0/30"}],
        }
    )
    assert list(config.devices) == [5]
    assert [r.id for r in config.ranges] == [2]
    assert len(config.skipped) == 6
    assert any("bad port 70000" in s for s in config.skipped)
    assert any("bad SNMP version '4'" in s for s in config.skipped)
    assert config.intervals["poll"] == 300 and config.intervals["commands"] == 1  # default, clamped


def test_a_configuration_that_is_not_an_object_is_refused():
    with pytest.raises(ConfigInvalid):
        parse_config(["devices"])


def test_backoff_doubles_up_to_its_cap_and_ends_on_success():
    backoff = Backoff(base=2, cap=10)
    delays = [backoff.failed(0) for _ in range(6)]
    assert 1.5 <= delays[0] <= 2.5 and all(d <= 12 for d in delays) and delays[-1] >= 8
    assert not backoff.ready(1)
    backoff.succeeded()
    assert backoff.ready(0)


def test_snmpv3_settings_come_from_the_v3_object_the_portal_sends():
    config = parse_config(
        {
            "devices": [
                {
                    "id": 21,
                    "host": "10.1.2.9",
                    "version": "3",
                    "community": "",
                    "v3": {
                        "user": "fmpv3",
                        "auth_protocol": "SHA",
                        "auth_key": "authpass123",
                        "priv_protocol": "AES",
                        "priv_key": "privpass123",
                    },
                }
            ]
        }
    )
    target = config.devices[21].target
    assert (target.version, target.v3_user, target.v3_auth_protocol, target.v3_priv_protocol) == (
        "3",
        "fmpv3",
        "SHA",
        "AES",
    )
    assert (target.v3_auth_key, target.v3_priv_key) == ("authpass123", "privpass123")
