"""Traps from net-snmp's snmptrap and snmpinform, decoded by the receiver on 127.0.0.1."""

from __future__ import annotations

import contextlib
import queue
import socket
import subprocess
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fmp_snmp.aio import LoopThread
from fmp_snmp.testing import free_udp_port
from fmp_snmp.traps import PRINTER_V2_ALERT, TrapInvalid, V3User, decode_trap, serve

ALERT = "1.3.6.1.2.1.43.18.1.1"
# A printer's alert trap as RFC 3805 defines it (hrDeviceIndex 1, alert 7): a jam, critical.
ALERT_VARBINDS = [
    f"{ALERT}.1.1.7", "i", "7",
    f"{ALERT}.2.1.7", "i", "3",
    f"{ALERT}.4.1.7", "i", "13",
    f"{ALERT}.5.1.7", "i", "1",
    f"{ALERT}.6.1.7", "i", "0",
    f"{ALERT}.7.1.7", "i", "8",
    f"{ALERT}.8.1.7", "s", "Paper jam in the fuser",
    "1.3.6.1.2.1.43.5.1.1.17.1", "s", "813000305",
]  # fmt: skip


USER = V3User("fmptraps", "SHA", "auth-secret-1", "AES", "priv-secret-1")


@pytest.fixture(params=["v1/v2c only", "with v3 users"])
def receiver(request):
    """A receiver on a free port, without and with SNMPv3 users (v1/v2c traps take the
    same fast path either way); yields (port, queue of (trap, source), protocol)."""
    got: queue.Queue = queue.Queue()
    port = free_udp_port()
    users = (USER,) if request.param == "with v3 users" else ()
    with LoopThread() as runner:

        async def start():
            return await serve(
                lambda trap, source: got.put((trap, source)),
                "127.0.0.1",
                port,
                rate=50,
                burst=20,
                v3_users=users,
            )

        transport, protocol = runner.run(start())
        try:
            yield port, got, protocol
        finally:
            runner.loop.call_soon_threadsafe(transport.close)


def send(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(args, capture_output=True, text=True, timeout=30, check=False)


def test_a_v2c_printer_alert_trap(receiver):
    port, got, _ = receiver
    done = send(
        "snmptrap",
        "-v",
        "2c",
        "-c",
        "public",
        f"127.0.0.1:{port}",
        "12345",
        "1.3.6.1.2.1.43.18.2.0.1",
        *ALERT_VARBINDS,
    )
    assert done.returncode == 0, done.stderr
    trap, source = got.get(timeout=5)
    assert source == "127.0.0.1"
    assert (trap.version, trap.community, trap.kind, trap.uptime_ticks, trap.inform) == (
        "2c",
        "public",
        "printer_alert",
        12345,
        False,
    )
    assert trap.trap_oid == PRINTER_V2_ALERT and trap.serial == "813000305"
    alert = trap.alert
    assert (alert.index, alert.severity, alert.group, alert.group_index, alert.code) == (
        7,
        "critical",
        13,
        1,
        8,
    )
    assert alert.code_name == "jam" and alert.description == "Paper jam in the fuser"


def test_a_v2c_inform_is_answered(receiver):
    port, got, _ = receiver
    # snmpinform waits for the receiver's Response: it fails (timeout) if none comes.
    done = send(
        "snmpinform",
        "-v",
        "2c",
        "-c",
        "public",
        "-t",
        "2",
        "-r",
        "0",
        f"127.0.0.1:{port}",
        "",
        "1.3.6.1.6.3.1.1.5.1",
    )
    assert done.returncode == 0, done.stderr
    trap, _ = got.get(timeout=5)
    assert (trap.kind, trap.inform) == ("cold_start", True)


@pytest.mark.parametrize("receiver", ["with v3 users"], indirect=True)
def test_a_v3_inform_with_authentication_and_privacy(receiver):
    port, got, _ = receiver
    v3 = ["-v", "3", "-u", USER.name, "-l", "authPriv", "-a", "SHA", "-x", "AES", "-t", "3", "-r", "0"]
    done = send(
        "snmpinform",
        *v3,
        "-A",
        USER.auth_key,
        "-X",
        USER.priv_key,
        f"127.0.0.1:{port}",
        "4242",
        "1.3.6.1.2.1.43.18.2.0.1",
        *ALERT_VARBINDS,
    )
    assert done.returncode == 0, done.stderr  # answered: authenticated and decrypted
    trap, source = got.get(timeout=5)
    assert (trap.version, trap.kind, trap.inform, trap.uptime_ticks, source) == (
        "3",
        "printer_alert",
        True,
        4242,
        "127.0.0.1",
    )
    assert trap.alert.code_name == "jam" and trap.serial == "813000305"
    # A wrong key is not answered and hands nothing on.
    done = send(
        "snmpinform",
        *v3,
        "-A",
        "wrong-secret-9",
        "-X",
        USER.priv_key,
        f"127.0.0.1:{port}",
        "",
        "1.3.6.1.6.3.1.1.5.1",
    )
    assert done.returncode != 0
    assert got.empty()


def test_a_v1_printer_alert_and_a_v1_link_down(receiver):
    port, got, _ = receiver
    done = send(
        "snmptrap",
        "-v",
        "1",
        "-c",
        "public",
        f"127.0.0.1:{port}",
        "1.3.6.1.2.1.43.18.2",
        "127.0.0.9",
        "6",
        "1",
        "777",
        *ALERT_VARBINDS,
    )
    assert done.returncode == 0, done.stderr
    trap, _ = got.get(timeout=5)
    assert (trap.version, trap.kind, trap.agent_address, trap.uptime_ticks) == (
        "1",
        "printer_alert",
        "127.0.0.9",
        777,
    )
    assert trap.alert.code_name == "jam"
    done = send(
        "snmptrap",
        "-v",
        "1",
        "-c",
        "public",
        f"127.0.0.1:{port}",
        "1.3.6.1.4.1.8072",
        "127.0.0.9",
        "2",
        "0",
        "",
    )
    assert done.returncode == 0, done.stderr
    trap, _ = got.get(timeout=5)
    assert (trap.kind, trap.alert) == ("link_down", None)


def test_a_flood_from_one_sender_is_cut_to_its_budget(receiver):
    port, got, protocol = receiver
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        wire = _encode_cold_start()
        for _ in range(200):
            s.sendto(wire, ("127.0.0.1", port))
    deadline = time.monotonic() + 5
    while protocol.stats.received < 200 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert protocol.stats.received == 200
    # A burst of 20, then 50 a second: far fewer than 200 pass.
    assert 20 <= protocol.stats.handled < 60 and protocol.stats.rate_limited == 200 - protocol.stats.handled
    assert got.qsize() == protocol.stats.handled


def _encode_cold_start() -> bytes:
    """A v2c coldStart trap, encoded by hand (community public, uptime 0)."""
    varbinds = bytes.fromhex("300d06082b06010201010300430100") + bytes.fromhex(
        "3017060a2b06010603010104010006092b0601060301010501"
    )
    vbl = b"\x30" + bytes([len(varbinds)]) + varbinds
    pdu_body = bytes.fromhex("020101020100020100") + vbl
    pdu = b"\xa7" + bytes([len(pdu_body)]) + pdu_body
    body = bytes.fromhex("020101") + b"\x04\x06public" + pdu
    return b"\x30" + bytes([len(body)]) + body


def test_the_hand_encoded_trap_decodes():
    trap, pdu_at = decode_trap(_encode_cold_start())
    assert (trap.kind, trap.community, pdu_at) == ("cold_start", "public", None)


@settings(max_examples=1500, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.binary(max_size=300), st.integers(min_value=0, max_value=80), st.binary(max_size=8))
def test_any_bytes_decode_or_are_refused(noise, cut, patch):
    """Malformed traps (random bytes, a real trap cut short or with bytes overwritten) are
    refused with TrapInvalid, never another exception."""
    real = _encode_cold_start()
    for data in (noise, real[:cut], real[:cut] + patch + real[cut + len(patch) :]):
        with contextlib.suppress(TrapInvalid):
            decode_trap(data)
