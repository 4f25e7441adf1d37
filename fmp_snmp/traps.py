"""SNMP traps and informs: decoding (v1 Trap-PDU, v2c SNMPv2-Trap and InformRequest), the
Printer-MIB alert trap (RFC 3805 printerV2Alert), and a receiver that rate-limits each sender.

No Django here: the portal's ``manage.py trap_receiver`` and the site collector both hand the
decoded traps to a callback. Decoding walks the bytes with the response reader's primitives
(fmp_snmp.ber); anything malformed is refused with ``TrapInvalid``, never another exception.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from fmp_snmp import oids
from fmp_snmp.alerts import DESCRIPTION_LIMIT, SEVERITIES, TRAINING_LEVELS, AlertReading
from fmp_snmp.ber import BerError, _header, _oid, _value
from fmp_snmp.types import Special

logger = logging.getLogger(__name__)

SYS_UPTIME_0 = (1, 3, 6, 1, 2, 1, 1, 3, 0)
SNMP_TRAP_OID_0 = (1, 3, 6, 1, 6, 3, 1, 1, 4, 1, 0)
SNMP_TRAPS = (
    1,
    3,
    6,
    1,
    6,
    3,
    1,
    1,
    5,
)  # coldStart.1 warmStart.2 linkDown.3 linkUp.4 authenticationFailure.5
PRINTER_V2_ALERT = (1, 3, 6, 1, 2, 1, 43, 18, 2, 0, 1)
PRINTER_V1_ALERT_ENTERPRISE = (1, 3, 6, 1, 2, 1, 43, 18, 2)  # v1: enterprise 43.18.2, specific 1
GENERIC_KINDS = {1: "cold_start", 2: "warm_start", 3: "link_down", 4: "link_up", 5: "authentication_failure"}
ALERT_ENTRY = (1, 3, 6, 1, 2, 1, 43, 18, 1, 1)
SERIAL = oids.PRT_GENERAL_SERIAL
MAX_VARBINDS = 64


class TrapInvalid(ValueError):
    """Not a trap this receiver understands (malformed, another PDU, a version it does not read)."""


@dataclass(frozen=True)
class Trap:
    version: str  # "1", "2c" (and "3" once decoded by the v3 engine)
    community: str
    kind: str  # printer_alert, cold_start, warm_start, link_down, link_up, authentication_failure, other
    trap_oid: tuple[int, ...]
    uptime_ticks: int | None = None
    agent_address: str | None = None  # v1 agent-addr (the source address is the receiver's to give)
    alert: AlertReading | None = None
    serial: str = ""
    varbinds: tuple[tuple[tuple[int, ...], object], ...] = ()
    inform: bool = False  # an InformRequest: the sender waits for a Response

    @property
    def trap_oid_text(self) -> str:
        return ".".join(map(str, self.trap_oid))


def _text(value) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace").replace("\x00", "").strip()[:DESCRIPTION_LIMIT]
    return ""


def _int(value) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


def _alert(varbinds) -> AlertReading | None:
    """The alert a printer trap carries (columns of prtAlertEntry, instance hrDeviceIndex.alert)."""
    cells: dict[int, object] = {}
    index = None
    for oid, value in varbinds:
        if oid[: len(ALERT_ENTRY)] == ALERT_ENTRY and len(oid) > len(ALERT_ENTRY):
            cells[oid[len(ALERT_ENTRY)]] = value
            if index is None and len(oid) >= len(ALERT_ENTRY) + 2:
                index = oid[-1]
    if not cells:
        return None
    return AlertReading(
        index=index if isinstance(index, int) and 0 <= index <= 2**32 else 0,
        severity=SEVERITIES.get(_int(cells.get(2)), "other"),
        training=TRAINING_LEVELS.get(_int(cells.get(3)), "unknown"),
        group=_int(cells.get(4)),
        group_index=_int(cells.get(5)),
        location=_int(cells.get(6)),
        code=_int(cells.get(7)),
        description=_text(cells.get(8)),
    )


def _varbinds(buf: bytes, pos: int, end: int) -> list:
    tag, pos, list_end = _header(buf, pos, end)
    if tag != 0x30:
        raise BerError("no var-bind list")
    varbinds = []
    while pos < list_end:
        if len(varbinds) >= MAX_VARBINDS:
            raise BerError("too many var-binds")
        tag, s, pos = _header(buf, pos, list_end)
        if tag != 0x30:
            raise BerError("bad var-bind")
        tag, os_, oe = _header(buf, s, pos)
        if tag != 0x06:
            raise BerError("var-bind without OID")
        vtag, vs, ve = _header(buf, oe, pos)
        varbinds.append((_oid(buf, os_, oe), _value(vtag, buf, vs, ve)))
    return varbinds


def _kind(trap_oid: tuple[int, ...]) -> str:
    if trap_oid == PRINTER_V2_ALERT:
        return "printer_alert"
    if trap_oid[: len(SNMP_TRAPS)] == SNMP_TRAPS and len(trap_oid) == len(SNMP_TRAPS) + 1:
        return GENERIC_KINDS.get(trap_oid[-1], "other")
    return "other"


def decode_trap(buf: bytes) -> tuple[Trap, int | None]:
    """(the trap, the offset of its PDU tag for an inform's answer, else None).

    Raises TrapInvalid for anything else than a well-formed v1/v2c trap or inform."""
    try:
        return _decode(buf)
    except (BerError, IndexError, ValueError, UnicodeDecodeError) as exc:
        raise TrapInvalid(str(exc) or type(exc).__name__) from None


def _decode(buf: bytes) -> tuple[Trap, int | None]:
    end = len(buf)
    tag, pos, stop = _header(buf, 0, end)
    if tag != 0x30:
        raise BerError("not a SEQUENCE")
    tag, s, e = _header(buf, pos, stop)
    if tag != 0x02 or e - s > 2:
        raise BerError("no version")
    version = int.from_bytes(buf[s:e], "big", signed=True)
    if version not in (0, 1):
        raise BerError(f"SNMP version {version} is not read here")
    tag, s, pos = _header(buf, e, stop)
    if tag != 0x04:
        raise BerError("no community")
    community = buf[s:pos].decode("utf-8", "replace")
    pdu_at = pos
    tag, pos, pdu_end = _header(buf, pos, stop)
    if version == 0:
        if tag != 0xA4:
            raise BerError(f"not a v1 trap (PDU 0x{tag:02x})")
        tag, s, pos = _header(buf, pos, pdu_end)
        if tag != 0x06:
            raise BerError("no enterprise")
        enterprise = _oid(buf, s, pos)
        tag, s, pos = _header(buf, pos, pdu_end)
        if tag != 0x40 or pos - s != 4:
            raise BerError("no agent address")
        agent = ".".join(str(b) for b in buf[s:pos])
        numbers = []
        for expected in (0x02, 0x02, 0x43):
            tag, s, pos = _header(buf, pos, pdu_end)
            if tag != expected or pos - s > 5:
                raise BerError("bad v1 trap header")
            numbers.append(int.from_bytes(buf[s:pos], "big", signed=expected == 0x02))
        generic, specific, stamp = numbers
        varbinds = _varbinds(buf, pos, pdu_end)
        # RFC 3584: a v1 trap as a notification OID.
        trap_oid = (*SNMP_TRAPS, generic + 1) if 0 <= generic <= 5 else (*enterprise, 0, specific)
        if enterprise == PRINTER_V1_ALERT_ENTERPRISE and generic == 6 and specific == 1:
            trap_oid = PRINTER_V2_ALERT
        trap = Trap("1", community, _kind(trap_oid), trap_oid, stamp, agent, None, "", tuple(varbinds))
        return _complete(trap), None
    if tag not in (0xA7, 0xA6):
        raise BerError(f"not a v2c trap or inform (PDU 0x{tag:02x})")
    inform = tag == 0xA6
    for _ in range(3):  # request id, error status, error index
        tag, s, pos = _header(buf, pos, pdu_end)
        if tag != 0x02:
            raise BerError("bad PDU header")
    varbinds = _varbinds(buf, pos, pdu_end)
    if len(varbinds) < 2 or varbinds[0][0] != SYS_UPTIME_0 or varbinds[1][0] != SNMP_TRAP_OID_0:
        raise BerError("a v2c notification starts with sysUpTime.0 and snmpTrapOID.0")
    uptime, trap_oid = varbinds[0][1], varbinds[1][1]
    if not isinstance(trap_oid, str):
        raise BerError("snmpTrapOID.0 is not an OID")
    oid = tuple(int(p) for p in trap_oid.split("."))
    trap = Trap(
        "2c",
        community,
        _kind(oid),
        oid,
        uptime if isinstance(uptime, int) else None,
        None,
        None,
        "",
        tuple(varbinds[2:]),
        inform,
    )
    return _complete(trap), (pdu_at if inform else None)


def _complete(trap: Trap) -> Trap:
    """The trap with what its var-binds say: the printer's serial, the alert it reports;
    NULL values dropped."""
    serial = ""
    for oid, value in trap.varbinds:
        if oid[: len(SERIAL)] == SERIAL and isinstance(value, bytes):
            serial = _text(value)[:100]
    return replace(
        trap,
        alert=_alert(trap.varbinds) if trap.kind == "printer_alert" else None,
        serial=serial,
        varbinds=tuple((oid, v) for oid, v in trap.varbinds if v is not Special.NULL),
    )


def inform_response(buf: bytes, pdu_at: int) -> bytes:
    """The Response to a v2c InformRequest: the same message with the PDU tag of a Response
    (request id, zero error status and index, and the same var-binds, as RFC 3416 asks)."""
    return buf[:pdu_at] + b"\xa2" + buf[pdu_at + 1 :]


# --- the receiver --------------------------------------------------------------------------


@dataclass
class SenderBudget:
    """A token bucket per sender: ``rate`` traps a second, bursts up to ``burst``."""

    rate: float
    burst: float
    tokens: float = 0.0
    at: float = field(default_factory=time.monotonic)
    dropped: int = 0

    def take(self, now: float) -> bool:
        self.tokens = min(self.burst, self.tokens + (now - self.at) * self.rate)
        self.at = now
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        self.dropped += 1
        return False


@dataclass
class ReceiverStats:
    received: int = 0
    handled: int = 0
    invalid: int = 0
    rate_limited: int = 0
    wrong_community: int = 0


class TrapProtocol(asyncio.DatagramProtocol):
    """Decodes each datagram, answers informs, drops a sender's excess, hands the rest on.

    ``handle(trap, address)`` is called for every accepted trap, in arrival order, on the
    loop's thread (it should only queue the trap: the portal stores them in batches).
    ``communities`` (if given) are the accepted community strings."""

    def __init__(
        self,
        handle: Callable[[Trap, str], None],
        *,
        communities: frozenset[str] | None = None,
        rate: float = 20.0,
        burst: float = 200.0,
        max_senders: int = 100_000,
    ) -> None:
        self.handle = handle
        self.communities = communities
        self.rate, self.burst, self.max_senders = rate, burst, max_senders
        self.budgets: dict[str, SenderBudget] = {}
        self.stats = ReceiverStats()
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport) -> None:
        self.transport = transport

    def budget(self, address: str) -> SenderBudget:
        budget = self.budgets.get(address)
        if budget is None:
            if len(self.budgets) >= self.max_senders:
                self.budgets.clear()  # a flood of forged sources: forget, stay bounded
            budget = self.budgets[address] = SenderBudget(self.rate, self.burst, tokens=self.burst)
        return budget

    def datagram_received(self, data: bytes, addr) -> None:
        self.stats.received += 1
        address = addr[0]
        if not self.budget(address).take(time.monotonic()):
            self.stats.rate_limited += 1
            return
        try:
            trap, pdu_at = decode_trap(data)
        except TrapInvalid as exc:
            self.stats.invalid += 1
            logger.debug("Trap from %s refused: %s", address, exc)
            return
        if self.communities is not None and trap.community not in self.communities:
            self.stats.wrong_community += 1
            return
        if pdu_at is not None and self.transport is not None:
            self.transport.sendto(inform_response(data, pdu_at), addr)
        self.accept(trap, address)

    def accept(self, trap: Trap, address: str) -> None:
        self.stats.handled += 1
        try:
            self.handle(trap, address)
        except Exception:  # one bad trap never stops the receiver
            logger.exception("Trap from %s could not be handled", address)


@dataclass(frozen=True)
class V3User:
    """An SNMPv3 user allowed to send informs (USM). Protocols: auth MD5, SHA, SHA224,
    SHA256, SHA384, SHA512 or "" (none); privacy DES, 3DES, AES, AES192, AES256 or "" (none)."""

    name: str
    auth_protocol: str = "SHA"
    auth_key: str = ""
    priv_protocol: str = "AES"
    priv_key: str = ""


AUTH_PROTOCOLS = frozenset({"", "MD5", "SHA", "SHA224", "SHA256", "SHA384", "SHA512"})
PRIV_PROTOCOLS = frozenset({"", "DES", "3DES", "AES", "AES192", "AES256"})


def _is_v3(data: bytes) -> bool:
    """A message whose version field is 3 (msgVersion of SNMPv3), read without decoding it."""
    try:
        tag, pos, stop = _header(data, 0, len(data))
        tag, s, e = _header(data, pos, stop)
    except BerError:
        return False
    return tag == 0x02 and e - s == 1 and data[s] == 3


def _v3_engine(users, engine_id: bytes | None, protocol: TrapProtocol):
    """A pysnmp v3 engine that authenticates (and decrypts) informs of ``users``, answers
    them, and hands each to ``protocol`` as a Trap. Created once for the receiver (PERF.md)."""
    from pyasn1.type import univ
    from pysnmp.entity import config, engine
    from pysnmp.entity.rfc3413 import ntfrcv
    from pysnmp.proto import rfc1902

    auths = {
        "": config.USM_AUTH_NONE,
        "MD5": config.USM_AUTH_HMAC96_MD5,
        "SHA": config.USM_AUTH_HMAC96_SHA,
        "SHA224": config.USM_AUTH_HMAC128_SHA224,
        "SHA256": config.USM_AUTH_HMAC192_SHA256,
        "SHA384": config.USM_AUTH_HMAC256_SHA384,
        "SHA512": config.USM_AUTH_HMAC384_SHA512,
    }
    privs = {
        "": config.USM_PRIV_NONE,
        "DES": config.USM_PRIV_CBC56_DES,
        "3DES": config.USM_PRIV_CBC168_3DES,
        "AES": config.USM_PRIV_CFB128_AES,
        "AES192": config.USM_PRIV_CFB192_AES,
        "AES256": config.USM_PRIV_CFB256_AES,
    }
    snmp_engine = engine.SnmpEngine(rfc1902.OctetString(engine_id) if engine_id else None)
    for user in users:
        config.add_v3_user(
            snmp_engine,
            user.name,
            auths[user.auth_protocol.upper()] if user.auth_key else config.USM_AUTH_NONE,
            user.auth_key or None,
            privs[user.priv_protocol.upper()] if user.priv_key else config.USM_PRIV_NONE,
            user.priv_key or None,
        )
    sources: dict[int, str] = {}

    def note_source(snmp_engine, execpoint, variables, cbCtx):
        address = variables.get("transportAddress")
        if address:
            sources[0] = str(address[0])

    snmp_engine.observer.register_observer(note_source, "rfc3412.receiveMessage:request")

    def received(snmp_engine, state_reference, context_engine_id, context_name, var_binds, cb_ctx):
        varbinds = []
        for name, value in var_binds:
            oid = tuple(name)
            if isinstance(value, univ.ObjectIdentifier):
                plain = ".".join(map(str, value))
            elif isinstance(value, rfc1902.IpAddress):
                plain = ".".join(str(b) for b in value.asOctets())
            elif isinstance(value, univ.OctetString):
                plain = bytes(value.asOctets())
            else:
                try:
                    plain = int(value)
                except (TypeError, ValueError):
                    plain = Special.NULL
            varbinds.append((oid, plain))
        if len(varbinds) < 2 or varbinds[0][0] != SYS_UPTIME_0 or varbinds[1][0] != SNMP_TRAP_OID_0:
            protocol.stats.invalid += 1
            return
        trap_oid = varbinds[1][1]
        oid = tuple(int(p) for p in trap_oid.split(".")) if isinstance(trap_oid, str) else ()
        uptime = varbinds[0][1]
        trap = _complete(
            Trap(
                "3",
                "",
                _kind(oid),
                oid,
                uptime if isinstance(uptime, int) else None,
                None,
                None,
                "",
                tuple(varbinds[2:]),
                True,
            )
        )
        protocol.accept(trap, sources.pop(0, ""))

    ntfrcv.NotificationReceiver(snmp_engine, received)
    return snmp_engine


async def serve(
    handle: Callable[[Trap, str], None],
    host: str,
    port: int,
    *,
    v3_users: tuple[V3User, ...] = (),
    engine_id: bytes | None = None,
    **options,
) -> tuple[asyncio.BaseTransport, TrapProtocol]:
    """Listen for traps on host:port (UDP) with a large receive buffer (PERF.md). v1/v2c
    messages take the fast path; SNMPv3 informs of ``v3_users`` go through a pysnmp engine
    (USM authentication and privacy), after the same per-sender budget."""
    import socket

    loop = asyncio.get_running_loop()
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 * 1024 * 1024)
    sock.bind((host, port))
    fast = TrapProtocol(handle, **options)
    if not v3_users:
        transport, _ = await loop.create_datagram_endpoint(lambda: fast, sock=sock)
        return transport, fast

    from pysnmp.carrier.asyncio.dgram import udp, udp6
    from pysnmp.entity import config

    base = udp6.Udp6AsyncioTransport if family == socket.AF_INET6 else udp.UdpAsyncioTransport

    class Transport(base):
        """pysnmp's transport on our socket: v3 to the engine, everything else to ``fast``."""

        def connection_made(self, transport) -> None:
            super().connection_made(transport)
            fast.connection_made(transport)

        def datagram_received(self, datagram, address) -> None:
            if not _is_v3(datagram):
                fast.datagram_received(datagram, address)
                return
            fast.stats.received += 1
            if not fast.budget(address[0]).take(time.monotonic()):
                fast.stats.rate_limited += 1
                return
            super().datagram_received(datagram, address)

    snmp_engine = _v3_engine(v3_users, engine_id, fast)
    carrier = Transport(loop=loop)
    config.add_transport(
        snmp_engine,
        udp6.DOMAIN_NAME if family == socket.AF_INET6 else udp.DOMAIN_NAME,
        carrier.open_server_mode(sock=sock),
    )
    await carrier._lport
    fast.engine, fast.carrier = snmp_engine, carrier  # kept alive with the receiver
    return carrier.transport, fast


# --- the wire form (a site collector uploads the traps it received) -------------------------

TRAP_KINDS = frozenset(
    {"printer_alert", "cold_start", "warm_start", "link_down", "link_up", "authentication_failure", "other"}
)


def trap_to_dict(trap: Trap) -> dict:
    """What a collector sends of a trap (its var-binds stay on the site)."""
    from fmp_snmp.observation import alert_to_dict

    return {
        "version": trap.version,
        "kind": trap.kind,
        "trap_oid": trap.trap_oid_text,
        "uptime_ticks": trap.uptime_ticks,
        "serial": trap.serial,
        "alert": alert_to_dict(trap.alert) if trap.alert is not None else None,
    }


def trap_from_dict(data) -> Trap:
    """Parse the wire form strictly; raises TrapInvalid with the reason."""
    from fmp_snmp.observation import ObservationInvalid, alert_from_dict

    if not isinstance(data, dict):
        raise TrapInvalid("trap: an object is expected")
    unknown = set(data) - {"version", "kind", "trap_oid", "uptime_ticks", "serial", "alert"}
    if unknown:
        raise TrapInvalid(f"trap: unknown field {sorted(map(str, unknown))[0][:50]}")
    version, kind, oid_text = data.get("version"), data.get("kind"), data.get("trap_oid")
    if version not in ("1", "2c", "3"):
        raise TrapInvalid("trap.version: 1, 2c or 3 is expected")
    if kind not in TRAP_KINDS:
        raise TrapInvalid("trap.kind: unknown kind")
    if not isinstance(oid_text, str) or len(oid_text) > 200:
        raise TrapInvalid("trap.trap_oid: an OID is expected")
    try:
        oid = tuple(int(p) for p in oid_text.split("."))
    except ValueError:
        raise TrapInvalid("trap.trap_oid: an OID is expected") from None
    if len(oid) < 2 or any(p < 0 or p >= 2**32 for p in oid):
        raise TrapInvalid("trap.trap_oid: an OID is expected")
    uptime = data.get("uptime_ticks")
    if uptime is not None and (
        isinstance(uptime, bool) or not isinstance(uptime, int) or not 0 <= uptime < 2**32
    ):
        raise TrapInvalid("trap.uptime_ticks: a number of ticks is expected")
    serial = data.get("serial", "")
    if not isinstance(serial, str) or len(serial) > 100 or "\x00" in serial:
        raise TrapInvalid("trap.serial: a string of at most 100 characters is expected")
    alert = None
    if data.get("alert") is not None:
        try:
            alert = alert_from_dict(data["alert"], "trap.alert")
        except ObservationInvalid as exc:
            raise TrapInvalid(str(exc)) from None
    return Trap(version, "", kind, oid, uptime, None, alert, serial)
