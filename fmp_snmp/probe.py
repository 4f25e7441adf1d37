"""One device, polled now: the building block of the poller and of ``manage.py snmp_probe``."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

from fmp_snmp.client import SnmpClient
from fmp_snmp.collect import collect
from fmp_snmp.normalise import Normalised, normalise
from fmp_snmp.observation import DeviceObservation
from fmp_snmp.types import SnmpError, SnmpTarget


@dataclass
class ProbeResult:
    ok: bool
    normalised: Normalised | None
    error: str
    duration_ms: int

    def observation(self, *, trigger: str = "") -> DeviceObservation:
        """What the portal stores of this poll, whoever polled (central poller or collector)."""
        if self.ok and self.normalised is not None:
            return self.normalised.to_observation(duration_ms=self.duration_ms, trigger=trigger)
        return DeviceObservation.unreachable(self.error, duration_ms=self.duration_ms, trigger=trigger)


async def probe(client: SnmpClient, target: SnmpTarget, *, budget: float | None = None) -> ProbeResult:
    """Collect and normalise; never raises for a device problem (it becomes ``error``)."""
    started = time.perf_counter()
    try:
        coro = collect(client, target)
        values = await (asyncio.wait_for(coro, budget) if budget else coro)
        if not values:
            raise SnmpError("the agent answered with no printer data")
        result = normalise(values)
        ok, error = True, ""
    except TimeoutError:
        result, ok, error = None, False, f"no complete answer within the {budget:g}s budget"
    except SnmpError as exc:
        result, ok, error = None, False, str(exc) or type(exc).__name__
    except (OSError, ValueError) as exc:
        result, ok, error = None, False, f"{type(exc).__name__}: {exc}"
    return ProbeResult(ok, result, error[:500], int((time.perf_counter() - started) * 1000))
