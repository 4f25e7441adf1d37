"""Plain, typed SNMP results: what the rest of FMP sees instead of pysnmp objects."""

from __future__ import annotations

import enum
from dataclasses import dataclass

Oid = tuple[int, ...]


class Special(enum.Enum):
    """SNMPv2 exception values and NULL."""

    NULL = "null"
    NO_SUCH_OBJECT = "noSuchObject"
    NO_SUCH_INSTANCE = "noSuchInstance"
    END_OF_MIB_VIEW = "endOfMibView"


# int (INTEGER, Counter32/64, Gauge32, TimeTicks), bytes (OCTET STRING, Opaque),
# str (OBJECT IDENTIFIER in dotted form, IpAddress) or a Special.
Value = int | bytes | str | Special


@dataclass(frozen=True, slots=True)
class VarBind:
    oid: Oid
    value: Value


@dataclass(frozen=True)
class SnmpTarget:
    """Where and how to reach one agent."""

    host: str
    port: int = 161
    version: str = "2c"  # "1", "2c" or "3"
    community: str = "public"
    v3_user: str = ""
    v3_auth_protocol: str = ""  # MD5, SHA, SHA224, SHA256, SHA384, SHA512
    v3_auth_key: str = ""
    v3_priv_protocol: str = ""  # DES, 3DES, AES, AES192, AES256
    v3_priv_key: str = ""
    timeout: float = 2.0
    retries: int = 1


class SnmpError(Exception):
    """The agent could not be asked, or answered with an error."""


class SnmpTimeout(SnmpError):
    """No answer within timeout × (retries + 1)."""


class SnmpResponseError(SnmpError):
    """The agent answered with an error status (tooBig, noSuchName, genErr...)."""

    NAMES = {
        1: "tooBig",
        2: "noSuchName",
        3: "badValue",
        4: "readOnly",
        5: "genErr",
        6: "noAccess",
        7: "wrongType",
        8: "wrongLength",
        9: "wrongEncoding",
        10: "wrongValue",
        11: "noCreation",
        12: "inconsistentValue",
        13: "resourceUnavailable",
        14: "commitFailed",
        15: "undoFailed",
        16: "authorizationError",
        17: "notWritable",
        18: "inconsistentName",
    }

    def __init__(self, status: int, index: int = 0):
        self.status = int(status)
        self.index = int(index)
        super().__init__(f"{self.NAMES.get(self.status, f'error {self.status}')} (index {self.index})")


class RawPrintError(SnmpError):
    """A job could not be sent to the raw print port. ``stage`` is "connect" (nothing
    listens, or the printer is off) or "send" (the connection broke mid-job); ``reason``
    says why in a word the portal translates (``REASONS``), ``detail`` is the system's own
    message (English, for logs only)."""

    REASONS = ("refused", "timeout", "unreachable", "unknown_host", "reset", "other")

    def __init__(self, stage: str, port: int, detail: str, reason: str = "other"):
        self.stage, self.port, self.detail = stage, int(port), detail
        self.reason = reason if reason in self.REASONS else "other"
        super().__init__(f"raw print {stage} failed on port {port}: {detail}")

    @classmethod
    def from_exception(cls, stage: str, port: int, exc: BaseException) -> RawPrintError:
        return cls(stage, port, str(exc) or type(exc).__name__, raw_print_reason(exc))


def raw_print_reason(exc: BaseException) -> str:
    """The ``RawPrintError.REASONS`` word for a socket error (whatever the system's language)."""
    import errno
    import socket

    if isinstance(exc, TimeoutError):
        return "timeout"
    if isinstance(exc, socket.gaierror):
        return "unknown_host"
    if isinstance(exc, ConnectionRefusedError):
        return "refused"
    if isinstance(exc, (ConnectionResetError, ConnectionAbortedError, BrokenPipeError)):
        return "reset"
    if isinstance(exc, OSError) and exc.errno in (errno.EHOSTUNREACH, errno.ENETUNREACH, errno.EHOSTDOWN):
        return "unreachable"
    # asyncio's "Multiple exceptions: [Errno 111] ..." (one per address tried) keeps no errno.
    text = str(exc)
    if "Errno 113" in text or "Errno 101" in text:
        return "unreachable"
    if "Errno 111" in text:
        return "refused"
    return "other"


def parse_oid(text: str) -> Oid:
    return tuple(int(part) for part in text.strip().strip(".").split(".") if part != "")


def oid_str(oid: Oid) -> str:
    return ".".join(str(part) for part in oid)
