"""A fast reader for SNMPv1/v2c response messages (BER), with pyasn1 as the reference.

pyasn1 builds a typed object for every element: at a few hundred var-binds per printer that
is most of the poller's CPU (see PERF.md). Responses only ever hold a handful of types, so
this reader walks the bytes directly. Anything it does not expect raises ``BerError`` and
the client falls back to pysnmp/pyasn1, so an odd agent is never misread.
"""

from __future__ import annotations

from fmp_snmp.types import Special


class BerError(ValueError):
    pass


_SPECIAL = {0x80: Special.NO_SUCH_OBJECT, 0x81: Special.NO_SUCH_INSTANCE, 0x82: Special.END_OF_MIB_VIEW}
_UNSIGNED = {0x41, 0x42, 0x43, 0x46}  # Counter32, Gauge32, TimeTicks, Counter64


def _header(buf: bytes, pos: int, end: int) -> tuple[int, int, int]:
    """(tag, content start, content end) of the element at ``pos``."""
    if pos + 2 > end:
        raise BerError("truncated header")
    tag = buf[pos]
    length = buf[pos + 1]
    pos += 2
    if length & 0x80:
        count = length & 0x7F
        if count == 0 or count > 4 or pos + count > end:
            raise BerError("bad length")
        length = int.from_bytes(buf[pos : pos + count], "big")
        pos += count
    stop = pos + length
    if stop > end:
        raise BerError("element overruns its container")
    return tag, pos, stop


def _oid(buf: bytes, start: int, stop: int) -> tuple[int, ...]:
    if start >= stop:
        raise BerError("empty OID")
    first = buf[start]
    if first & 0x80:
        raise BerError("long first OID arc")
    parts = [first // 40, first % 40] if first < 80 else [2, first - 80]
    value = 0
    for byte in buf[start + 1 : stop]:
        value = (value << 7) | (byte & 0x7F)
        if not byte & 0x80:
            parts.append(value)
            value = 0
    if buf[stop - 1] & 0x80:
        raise BerError("unterminated OID arc")
    return tuple(parts)


def _value(tag: int, buf: bytes, start: int, stop: int):
    if tag == 0x02:
        return int.from_bytes(buf[start:stop], "big", signed=True) if stop > start else 0
    if tag in _UNSIGNED:
        return int.from_bytes(buf[start:stop], "big", signed=False) if stop > start else 0
    if tag in (0x04, 0x44):  # OCTET STRING, Opaque
        return bytes(buf[start:stop])
    if tag == 0x06:
        return ".".join(map(str, _oid(buf, start, stop)))
    if tag == 0x40:
        if stop - start != 4:
            raise BerError("bad IpAddress")
        return ".".join(str(b) for b in buf[start:stop])
    if tag == 0x05:
        return Special.NULL
    if tag in _SPECIAL:
        return _SPECIAL[tag]
    raise BerError(f"unexpected value tag 0x{tag:02x}")


def decode_response(buf: bytes) -> tuple[int, int, int, int, list[tuple[tuple[int, ...], object]]]:
    """(version, request id, error status, error index, [(oid, value)]) of a Response-PDU."""
    end = len(buf)
    tag, pos, stop = _header(buf, 0, end)
    if tag != 0x30:
        raise BerError("not a SEQUENCE")
    tag, s, e = _header(buf, pos, stop)
    if tag != 0x02:
        raise BerError("no version")
    version = int.from_bytes(buf[s:e], "big", signed=True)
    tag, s, pos = _header(buf, e, stop)
    if tag != 0x04:
        raise BerError("no community")
    tag, pos, pdu_end = _header(buf, pos, stop)
    if tag != 0xA2:  # GetResponse / Response
        raise BerError(f"not a response PDU (0x{tag:02x})")
    numbers = []
    for _ in range(3):
        tag, s, pos = _header(buf, pos, pdu_end)
        if tag != 0x02:
            raise BerError("bad PDU header")
        numbers.append(int.from_bytes(buf[s:pos], "big", signed=True))
    tag, pos, list_end = _header(buf, pos, pdu_end)
    if tag != 0x30:
        raise BerError("no var-bind list")
    varbinds = []
    while pos < list_end:
        tag, s, pos = _header(buf, pos, list_end)
        if tag != 0x30:
            raise BerError("bad var-bind")
        tag, os_, oe = _header(buf, s, pos)
        if tag != 0x06:
            raise BerError("var-bind without OID")
        vtag, vs, ve = _header(buf, oe, pos)
        varbinds.append((_oid(buf, os_, oe), _value(vtag, buf, vs, ve)))
    return version, numbers[0], numbers[1], numbers[2], varbinds
