"""Commands sent to devices: reset and location over SNMP SET, a test page over raw TCP 9100."""

from __future__ import annotations

import asyncio
import contextlib

from fmp_snmp import oids
from fmp_snmp.client import SnmpClient
from fmp_snmp.normalise import as_text
from fmp_snmp.types import RawPrintError, SnmpTarget

POWER_CYCLE_RESET = 4  # prtGeneralReset: powerCycleReset(4)
RAW_PORT = 9100


async def reset(client: SnmpClient, target: SnmpTarget) -> None:
    """prtGeneralReset.1 = powerCycleReset. Raises SnmpError with the agent's answer."""
    await client.set(target, (*oids.PRT_GENERAL_RESET, 1), POWER_CYCLE_RESET)


async def set_location(client: SnmpClient, target: SnmpTarget, location: str) -> str:
    """sysLocation.0 = location; returns what the device now says."""
    answer = await client.set(target, (*oids.SYS_LOCATION, 0), location.encode("utf-8")[:255])
    return as_text(answer.value)


def test_page(*, serial: str, model: str, location: str, when: str) -> bytes:
    """A one-page PCL job (PJL-wrapped) that any office laser prints as plain text."""

    def clean(text: str) -> bytes:
        return "".join(ch if 32 <= ord(ch) < 127 else "?" for ch in text)[:80].encode("ascii")

    lines = [
        b"FMP - Fleet Management Portal - test page",
        b"",
        b"Model:    " + clean(model),
        b"Serial:   " + clean(serial),
        b"Location: " + clean(location),
        b"Sent:     " + clean(when),
        b"",
        b"If you can read this page, the printer receives jobs over the network.",
    ]
    return (
        b'\x1b%-12345X@PJL JOB NAME="FMP test page"\r\n@PJL ENTER LANGUAGE=PCL\r\n'
        + b"\x1bE"
        + b"\r\n".join(lines)
        + b"\r\n\x0c\x1bE"
        + b"\x1b%-12345X@PJL EOJ\r\n\x1b%-12345X"
    )


async def send_raw(host: str, payload: bytes, *, port: int = RAW_PORT, timeout: float = 10.0) -> None:
    """Send a print job to the device's raw port (JetDirect/AppSocket)."""
    try:
        _reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), timeout)
    except (OSError, TimeoutError) as exc:
        raise RawPrintError.from_exception("connect", port, exc) from exc
    try:
        writer.write(payload)
        await asyncio.wait_for(writer.drain(), timeout)
        writer.write_eof()
        await asyncio.wait_for(writer.drain(), timeout)
    except (OSError, TimeoutError) as exc:
        raise RawPrintError.from_exception("send", port, exc) from exc
    finally:
        writer.close()
        with contextlib.suppress(OSError, TimeoutError):
            await asyncio.wait_for(writer.wait_closed(), timeout)
