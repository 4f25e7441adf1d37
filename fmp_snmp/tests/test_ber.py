"""The fast BER reader must agree with pysnmp/pyasn1 on every response, and refuse garbage."""

import contextlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pyasn1.codec.ber import encoder
from pysnmp.proto import api, rfc1902, rfc1905

from fmp_snmp.ber import BerError, decode_response
from fmp_snmp.client import _decode, _to_value

V2C = api.PROTOCOL_MODULES[api.SNMP_VERSION_2C]

oids = st.lists(st.integers(min_value=0, max_value=2**32 - 1), min_size=1, max_size=12).map(
    lambda rest: (1, 3, 6, 1, *rest)
)
values = st.one_of(
    st.integers(min_value=-(2**31), max_value=2**31 - 1).map(rfc1902.Integer32),
    st.binary(max_size=200).map(rfc1902.OctetString),
    st.integers(min_value=0, max_value=2**32 - 1).map(rfc1902.Counter32),
    st.integers(min_value=0, max_value=2**32 - 1).map(rfc1902.Gauge32),
    st.integers(min_value=0, max_value=2**32 - 1).map(rfc1902.TimeTicks),
    st.integers(min_value=0, max_value=2**64 - 1).map(rfc1902.Counter64),
    oids.map(rfc1902.ObjectName),
    st.tuples(*[st.integers(0, 255)] * 4).map(lambda t: rfc1902.IpAddress(bytes(t))),
    st.sampled_from([rfc1905.noSuchObject, rfc1905.noSuchInstance, rfc1905.endOfMibView, rfc1902.Null("")]),
)


def response(request_id, status, index, varbinds) -> bytes:
    pdu = V2C.ResponsePDU()
    V2C.apiPDU.set_defaults(pdu)
    V2C.apiPDU.set_request_id(pdu, request_id)
    V2C.apiPDU.set_error_status(pdu, status)
    V2C.apiPDU.set_error_index(pdu, index)
    V2C.apiPDU.set_varbinds(pdu, varbinds)
    message = V2C.Message()
    V2C.apiMessage.set_defaults(message)
    V2C.apiMessage.set_community(message, "public")
    V2C.apiMessage.set_pdu(message, pdu)
    return bytes(encoder.encode(message))


@settings(max_examples=300, deadline=None)
@given(st.integers(0, 2**31 - 1), st.integers(0, 18), st.lists(st.tuples(oids, values), max_size=30))
def test_fast_reader_agrees_with_pyasn1(request_id, status, varbinds):
    wire = response(request_id, status, 0, varbinds)
    _version, rid, st_, _index, pairs = decode_response(wire)
    assert (rid, st_) == (request_id, status)
    assert [oid for oid, _ in pairs] == [oid for oid, _ in varbinds]
    assert [value for _, value in pairs] == [_to_value(value) for _, value in varbinds]


@given(st.binary(max_size=300))
def test_garbage_is_refused_not_misread(data):
    with contextlib.suppress(BerError):
        decode_response(data)


def test_truncated_response_is_refused_and_the_fallback_refuses_it_too():
    wire = response(0x10000001, 0, 0, [((1, 3, 6, 1, 2, 1, 1, 5, 0), rfc1902.OctetString(b"printer"))])
    with pytest.raises(BerError):
        decode_response(wire[:-3])
    with pytest.raises(Exception):  # noqa: B017 -- pyasn1 raises its own error types
        _decode(wire[:-3])
