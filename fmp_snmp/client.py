"""The SNMP client: v1/v2c on one shared UDP socket, v3 through one long-lived engine.

This is the only module of FMP that imports pysnmp. v1/v2c messages are built with
pysnmp's protocol modules and sent on a single asyncio socket with a large receive buffer:
no per-device engine, no MIB lookups (the costs measured in shared PERF.md). SNMPv3 goes
through pysnmp's v3arch engine, created once per client and reused for every v3 agent.
Requests carry their own timeout and retries; answers are matched by request id and by
the address they come from.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import random
import socket
from collections.abc import Sequence

from pyasn1.codec.ber import decoder, encoder
from pyasn1.error import PyAsn1Error
from pyasn1.type import univ
from pysnmp.proto import api, rfc1902, rfc1905

from fmp_snmp.ber import BerError, decode_response
from fmp_snmp.types import (
    Oid,
    SnmpError,
    SnmpResponseError,
    SnmpTarget,
    SnmpTimeout,
    Special,
    Value,
    VarBind,
)

logger = logging.getLogger(__name__)

RECEIVE_BUFFER = 4 * 1024 * 1024
_V1 = api.PROTOCOL_MODULES[api.SNMP_VERSION_1]
_V2C = api.PROTOCOL_MODULES[api.SNMP_VERSION_2C]


def _to_value(value) -> Value:
    """A pyasn1 value as a plain Python value (see fmp_snmp.types.Value)."""
    tag = value.tagSet
    if tag == rfc1905.NoSuchObject.tagSet:
        return Special.NO_SUCH_OBJECT
    if tag == rfc1905.NoSuchInstance.tagSet:
        return Special.NO_SUCH_INSTANCE
    if tag == rfc1905.EndOfMibView.tagSet:
        return Special.END_OF_MIB_VIEW
    if isinstance(value, univ.Null) or not value.isValue:
        return Special.NULL
    if tag == rfc1902.IpAddress.tagSet:
        return ".".join(str(b) for b in value.asOctets())
    if isinstance(value, univ.ObjectIdentifier):
        return ".".join(str(p) for p in value)
    if isinstance(value, univ.OctetString):
        return bytes(value.asOctets())
    try:
        return int(value)
    except (TypeError, ValueError):
        return str(value).encode("utf-8", "replace")


def _to_asn1(value: int | bytes | str):
    if isinstance(value, bool):
        raise TypeError("SNMP has no boolean type")
    if isinstance(value, int):
        return rfc1902.Integer32(value)
    if isinstance(value, str):
        value = value.encode("utf-8")
    return rfc1902.OctetString(value)


_ID_MIN, _ID_MAX = 0x10000000, 0x7FFFFFF0
_ID_MARKER = 0x5F3A9C17


def _encode_template(
    target: SnmpTarget, kind: str, oids, non_repeaters, max_repetitions, values
) -> tuple[bytes, int]:
    """The request message encoded once by pysnmp, and where its 4-byte request id sits."""
    module = _V1 if target.version == "1" else _V2C
    pdu = {
        "get": module.GetRequestPDU,
        "next": module.GetNextRequestPDU,
        "set": module.SetRequestPDU,
        "bulk": getattr(module, "GetBulkRequestPDU", None),
    }[kind]()
    if kind == "bulk":
        module.apiBulkPDU.set_defaults(pdu)
        module.apiBulkPDU.set_non_repeaters(pdu, non_repeaters)
        module.apiBulkPDU.set_max_repetitions(pdu, max_repetitions)
    else:
        module.apiPDU.set_defaults(pdu)
    module.apiPDU.set_varbinds(
        pdu, [(oid, values[i] if values else module.Null("")) for i, oid in enumerate(oids)]
    )
    module.apiPDU.set_request_id(pdu, _ID_MARKER)
    message = module.Message()
    module.apiMessage.set_defaults(message)
    module.apiMessage.set_community(message, target.community)
    module.apiMessage.set_pdu(message, pdu)
    wire = bytes(encoder.encode(message))
    marker = b"\x02\x04" + _ID_MARKER.to_bytes(4, "big")
    community_end = wire.find(target.community.encode("utf-8", "replace")) + len(
        target.community.encode("utf-8", "replace")
    )
    at = wire.find(marker, max(0, community_end))
    if at < 0:
        raise SnmpError("could not encode the request")
    return wire, at + 2


def _decode(data: bytes) -> tuple[int, int, int, list[VarBind]]:
    """(request id, error status, error index, var-binds) of a v1/v2c response.

    The fast BER reader handles what agents normally send; anything else goes through
    pysnmp's own decoder, which is slower but knows every corner of the standard.
    """
    try:
        _version, request_id, status, index, pairs = decode_response(data)
        return request_id, status, index, [VarBind(oid, value) for oid, value in pairs]
    except BerError:
        version = int(api.decodeMessageVersion(data))
        module = api.PROTOCOL_MODULES[version]
        message, _rest = decoder.decode(data, asn1Spec=module.Message())
        pdu = module.apiMessage.get_pdu(message)
        return (
            int(module.apiPDU.get_request_id(pdu)),
            int(module.apiPDU.get_error_status(pdu)),
            int(module.apiPDU.get_error_index(pdu, muteErrors=True)),
            [VarBind(tuple(oid), _to_value(val)) for oid, val in module.apiPDU.get_varbinds(pdu)],
        )


class _Protocol(asyncio.DatagramProtocol):
    def __init__(self, client: SnmpClient):
        self.client = client

    def datagram_received(self, data: bytes, addr) -> None:
        self.client._datagram_received(data, addr)

    def error_received(self, exc: Exception) -> None:  # ICMP port unreachable and the like
        logger.debug("SNMP socket error: %s", exc)


class SnmpClient:
    """Asynchronous SNMP requests. Create one per worker process (or event loop) and reuse it."""

    def __init__(self) -> None:
        self._transports: dict[int, asyncio.DatagramTransport] = {}
        self._pending: dict[int, tuple[asyncio.Future, tuple[str, int]]] = {}
        self._resolved: dict[str, str] = {}
        self._next_id = random.randrange(_ID_MIN, _ID_MAX)
        self._templates: dict[tuple, tuple[bytes, int]] = {}
        self._v3 = None  # (engine, module) created on first SNMPv3 request

    async def __aenter__(self) -> SnmpClient:
        return self

    async def __aexit__(self, *exc) -> None:
        self.close()

    async def aclose(self) -> None:
        """close() from the client's own event loop (when that loop runs in another thread)."""
        self.close()

    def close(self) -> None:
        for transport in self._transports.values():
            transport.close()
        self._transports.clear()
        for future, _addr in self._pending.values():
            if not future.done():
                future.set_exception(SnmpError("client closed"))
        self._pending.clear()
        if self._v3 is not None:
            engine = self._v3[0]
            try:
                engine.close_dispatcher()
            except Exception:  # closing is best effort
                logger.debug("v3 engine close failed", exc_info=True)
            self._v3 = None

    # --- public operations -----------------------------------------------------------------

    async def get(self, target: SnmpTarget, oids: Sequence[Oid]) -> list[VarBind]:
        return await self._request(target, "get", list(oids))

    async def get_next(self, target: SnmpTarget, oids: Sequence[Oid]) -> list[VarBind]:
        return await self._request(target, "next", list(oids))

    async def get_bulk(
        self, target: SnmpTarget, non_repeaters: Sequence[Oid], repeaters: Sequence[Oid], max_repetitions: int
    ) -> list[VarBind]:
        """GETBULK: the successors of ``non_repeaters`` once, then up to ``max_repetitions``
        rows of the ``repeaters``, interleaved as the agent sends them."""
        if target.version == "1":
            raise SnmpError("SNMPv1 has no GETBULK")
        return await self._request(
            target,
            "bulk",
            [*non_repeaters, *repeaters],
            non_repeaters=len(non_repeaters),
            max_repetitions=max_repetitions,
        )

    async def set(self, target: SnmpTarget, oid: Oid, value: int | bytes | str) -> VarBind:
        result = await self._request(target, "set", [oid], values=[_to_asn1(value)])
        return result[0]

    async def walk(self, target: SnmpTarget, base: Oid, *, max_rows: int = 2000) -> list[VarBind]:
        """Every object below ``base`` (GETBULK where the version allows, else GETNEXT)."""
        rows: list[VarBind] = []
        current = base
        while len(rows) < max_rows:
            if target.version == "1":
                try:
                    batch = await self.get_next(target, [current])
                except SnmpResponseError as exc:
                    if exc.status == 2:  # SNMPv1's noSuchName: nothing after this object
                        return rows
                    raise
            else:
                batch = await self.get_bulk(target, [], [current], 25)
            progressed = False
            for vb in batch:
                if vb.oid[: len(base)] != base or (
                    isinstance(vb.value, Special) and vb.value in (Special.END_OF_MIB_VIEW,)
                ):
                    return rows
                if vb.oid <= current:  # a broken agent going backwards: stop, don't loop
                    return rows
                rows.append(vb)
                current = vb.oid
                progressed = True
            if not progressed:
                return rows
        return rows

    # --- transport ---------------------------------------------------------------------------

    async def _address(self, target: SnmpTarget) -> tuple[str, int]:
        host = target.host
        ip = self._resolved.get(host)
        if ip is None:
            try:
                ip = str(ipaddress.ip_address(host))
            except ValueError:
                loop = asyncio.get_running_loop()
                try:
                    infos = await loop.getaddrinfo(host, target.port, type=socket.SOCK_DGRAM)
                except OSError as exc:
                    raise SnmpError(f"cannot resolve {host}: {exc}") from exc
                ip = infos[0][4][0]
            self._resolved[host] = ip
        return ip, int(target.port)

    async def _transport(self, ip: str) -> asyncio.DatagramTransport:
        family = socket.AF_INET6 if ":" in ip else socket.AF_INET
        transport = self._transports.get(family)
        if transport is None or transport.is_closing():
            sock = socket.socket(family, socket.SOCK_DGRAM)
            try:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RECEIVE_BUFFER)
            except OSError:
                logger.warning("could not raise the SNMP socket receive buffer")
            sock.bind(("::", 0) if family == socket.AF_INET6 else ("0.0.0.0", 0))  # noqa: S104 -- client socket
            sock.setblocking(False)
            loop = asyncio.get_running_loop()
            transport, _ = await loop.create_datagram_endpoint(lambda: _Protocol(self), sock=sock)
            self._transports[family] = transport
        return transport

    def _datagram_received(self, data: bytes, addr) -> None:
        try:
            answer = _decode(data)
        except (PyAsn1Error, BerError, KeyError, ValueError, TypeError) as exc:
            logger.debug("undecodable SNMP datagram from %s: %s", addr, exc)
            return
        pending = self._pending.get(answer[0])
        if pending is None:
            return
        future, expected = pending
        if (addr[0], addr[1]) != expected:
            logger.debug("SNMP answer from %s ignored: request went to %s", addr, expected)
            return
        if not future.done():
            future.set_result(answer)

    def _take_id(self) -> int:
        """A request id that BER-encodes in exactly four bytes (so templates can be patched)."""
        self._next_id += 1
        if not _ID_MIN <= self._next_id <= _ID_MAX:
            self._next_id = _ID_MIN
        while self._next_id in self._pending:
            self._next_id += 1
        return self._next_id

    async def _request(
        self,
        target: SnmpTarget,
        kind: str,
        oids: list[Oid],
        *,
        non_repeaters: int = 0,
        max_repetitions: int = 0,
        values: list | None = None,
    ) -> list[VarBind]:
        if target.version == "3":
            return await self._request_v3(target, kind, oids, non_repeaters, max_repetitions, values)
        address = await self._address(target)
        transport = await self._transport(address[0])
        request_id = self._take_id()
        key = (target.version, target.community, kind, tuple(oids), non_repeaters, max_repetitions)
        template = None if values else self._templates.get(key)
        if template is None:
            template = _encode_template(target, kind, oids, non_repeaters, max_repetitions, values)
            if not values:
                if len(self._templates) > 4096:
                    self._templates.clear()
                self._templates[key] = template
        wire, at = template
        wire = wire[:at] + request_id.to_bytes(4, "big") + wire[at + 4 :]
        future = asyncio.get_running_loop().create_future()
        self._pending[request_id] = (future, address)
        try:
            for _attempt in range(max(0, target.retries) + 1):
                transport.sendto(wire, address)
                try:
                    answer = await asyncio.wait_for(asyncio.shield(future), target.timeout)
                    break
                except TimeoutError:
                    continue
            else:
                raise SnmpTimeout(f"no answer from {address[0]}:{address[1]} in {target.timeout:g}s")
        finally:
            self._pending.pop(request_id, None)
            if not future.done():
                future.cancel()
        _request_id, status, index, varbinds = answer
        if status:
            raise SnmpResponseError(status, index)
        return varbinds

    # --- SNMPv3 ---------------------------------------------------------------------------

    def _v3_engine(self):
        if self._v3 is None:
            from pysnmp.hlapi.v3arch import asyncio as v3

            self._v3 = (v3.SnmpEngine(), v3)
        return self._v3

    async def _request_v3(self, target, kind, oids, non_repeaters, max_repetitions, values) -> list[VarBind]:
        engine, v3 = self._v3_engine()
        auth = {
            "": v3.usmNoAuthProtocol,
            "MD5": v3.usmHMACMD5AuthProtocol,
            "SHA": v3.usmHMACSHAAuthProtocol,
            "SHA224": v3.usmHMAC128SHA224AuthProtocol,
            "SHA256": v3.usmHMAC192SHA256AuthProtocol,
            "SHA384": v3.usmHMAC256SHA384AuthProtocol,
            "SHA512": v3.usmHMAC384SHA512AuthProtocol,
        }
        priv = {
            "": v3.usmNoPrivProtocol,
            "DES": v3.usmDESPrivProtocol,
            "3DES": v3.usm3DESEDEPrivProtocol,
            "AES": v3.usmAesCfb128Protocol,
            "AES192": v3.usmAesCfb192Protocol,
            "AES256": v3.usmAesCfb256Protocol,
        }
        try:
            user = v3.UsmUserData(
                target.v3_user,
                authKey=target.v3_auth_key or None,
                privKey=target.v3_priv_key or None,
                authProtocol=auth[target.v3_auth_protocol.upper()],
                privProtocol=priv[target.v3_priv_protocol.upper()],
            )
        except KeyError as exc:
            raise SnmpError(f"unsupported SNMPv3 protocol {exc}") from exc
        address = await self._address(target)
        factory = v3.Udp6TransportTarget if ":" in address[0] else v3.UdpTransportTarget
        transport = await factory.create(address, timeout=target.timeout, retries=target.retries)
        if kind == "set":
            var_binds = [v3.ObjectType(v3.ObjectIdentity(oid), values[i]) for i, oid in enumerate(oids)]
        else:
            var_binds = [v3.ObjectType(v3.ObjectIdentity(oid)) for oid in oids]
        options = {"lookupMib": False}
        context = v3.ContextData()
        if kind == "get":
            result = await v3.get_cmd(engine, user, transport, context, *var_binds, **options)
        elif kind == "next":
            result = await v3.next_cmd(engine, user, transport, context, *var_binds, **options)
        elif kind == "set":
            result = await v3.set_cmd(engine, user, transport, context, *var_binds, **options)
        else:
            result = await v3.bulk_cmd(
                engine, user, transport, context, non_repeaters, max_repetitions, *var_binds, **options
            )
        error_indication, error_status, error_index, var_binds = result
        if error_indication:
            text = str(error_indication)
            if "timeout" in text.lower() or "timed out" in text.lower():
                raise SnmpTimeout(f"no answer from {address[0]}:{address[1]} ({text})")
            raise SnmpError(text)
        if int(error_status):
            raise SnmpResponseError(int(error_status), int(error_index))
        return [VarBind(tuple(vb[0]), _to_value(vb[1])) for vb in var_binds]
