"""The collector's run loop: one asyncio loop, one SnmpClient, blocking HTTP in threads.

It fetches its configuration (kept in the store, so polling goes on while the portal is
away, also across restarts), polls each device when due, asks for commands and runs them,
uploads the queue oldest first, sends a heartbeat, and sweeps its discovery ranges.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import ipaddress
import logging
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from fmp_collector import __version__
from fmp_collector.identity import Identity, hostname
from fmp_collector.portal import (
    Answer,
    CertificateRefused,
    Portal,
    PortalError,
    Refused,
    Unauthorized,
    Unreachable,
)
from fmp_collector.settings import Settings
from fmp_collector.store import Store
from fmp_snmp import actions
from fmp_snmp.client import SnmpClient
from fmp_snmp.observation import observation_to_dict
from fmp_snmp.probe import probe
from fmp_snmp.traps import serve, trap_to_dict
from fmp_snmp.types import RawPrintError, SnmpError, SnmpResponseError, SnmpTarget

logger = logging.getLogger("fmp_collector")

TRIGGER = "collector"  # the trigger of a scheduled poll (a command's poll says "refresh")
POLL_BUDGET = 30.0  # seconds for one device's whole poll
DISCOVERY_TIMEOUT = 1.0
DISCOVERY_BUDGET = 10.0
MAX_SWEEP = 65_536  # addresses of one discovery range
MAX_TEST_PAGE = 16 * 1024 * 1024
UPLOAD_EVERY = 2.0  # seconds between uploads of a queue that is not yet a full batch
CONFIG_REFRESH = 900.0  # refetch the configuration at least this often
ANSWER_EXPIRY = 600.0  # a command answer not delivered by then is given up
TICK = 0.25
TRAP_POLL_EVERY = 60.0  # a device's traps have it polled to confirm at most this often (seconds)

DEFAULT_INTERVALS = {"poll": 300, "commands": 5, "heartbeat": 60, "discovery": 86400}


class ConfigInvalid(ValueError):
    pass


@dataclass(frozen=True)
class DeviceConfig:
    id: int
    target: SnmpTarget
    interval: float


@dataclass(frozen=True)
class RangeConfig:
    id: int
    network: ipaddress.IPv4Network | ipaddress.IPv6Network
    port: int
    version: str
    community: str


@dataclass
class Config:
    version: str
    intervals: dict[str, float]
    devices: dict[int, DeviceConfig] = field(default_factory=dict)
    ranges: list[RangeConfig] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def _number(value, low: float, high: float, default: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return default
    return float(min(high, max(low, value)))


def _port(value) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 65535:
        raise ConfigInvalid(f"bad port {value!r}")
    return value


def _version(value) -> str:
    value = str(value)
    if value not in ("1", "2c", "3"):
        raise ConfigInvalid(f"bad SNMP version {value!r}")
    return value


def _item_id(item) -> int:
    """A configured device's or range's id; ConfigInvalid when the item has none."""
    if not isinstance(item, dict) or isinstance(item.get("id"), bool) or not isinstance(item.get("id"), int):
        raise ConfigInvalid("no id")
    return item["id"]


def parse_config(data, *, timeout: float = 2.0, retries: int = 1) -> Config:
    """The portal's configuration, checked; a malformed device or range is skipped (and said).
    ``timeout`` and ``retries`` (the site's settings) apply to every device."""
    if not isinstance(data, dict):
        raise ConfigInvalid("the configuration is not a JSON object")
    raw = data.get("intervals") if isinstance(data.get("intervals"), dict) else {}
    intervals = {
        name: _number(raw.get(name), 1, 7 * 86400, default) for name, default in DEFAULT_INTERVALS.items()
    }
    config = Config(version=str(data.get("version") or ""), intervals=intervals)
    for item in data.get("devices") or []:
        try:
            _item_id(item)
            host = item.get("host")
            if not isinstance(host, str) or not host or len(host) > 255:
                raise ConfigInvalid(f"bad host {host!r}")
            # SNMPv3: {"v3": {"user", "auth_protocol", "auth_key", "priv_protocol", "priv_key"}}
            v3 = item.get("v3") if isinstance(item.get("v3"), dict) else {}
            extra = {
                f"v3_{name}": v3[name]
                for name in ("user", "auth_protocol", "auth_key", "priv_protocol", "priv_key")
                if isinstance(v3.get(name), str)
            }
            target = SnmpTarget(
                host=host,
                port=_port(item.get("port", 161)),
                version=_version(item.get("version", "2c")),
                community=str(item.get("community", "public")),
                timeout=timeout,
                retries=retries,
                **extra,
            )
            interval = _number(item.get("interval"), 10, 7 * 86400, intervals["poll"])
            config.devices[item["id"]] = DeviceConfig(item["id"], target, interval)
        except (ConfigInvalid, TypeError, ValueError) as exc:
            config.skipped.append(f"device {item.get('id') if isinstance(item, dict) else item!r}: {exc}")
    for item in data.get("discovery") or []:
        try:
            _item_id(item)
            network = ipaddress.ip_network(str(item.get("cidr")), strict=False)
            config.ranges.append(
                RangeConfig(
                    item["id"],
                    network,
                    _port(item.get("port", 161)),
                    _version(item.get("version", "2c")),
                    str(item.get("community", "public")),
                )
            )
        except (ConfigInvalid, TypeError, ValueError) as exc:
            config.skipped.append(f"range {item.get('id') if isinstance(item, dict) else item!r}: {exc}")
    return config


class Backoff:
    """When to try again after failures: 2, 4, 8 … up to ``cap`` seconds, with some jitter."""

    def __init__(self, base: float = 2.0, cap: float = 60.0) -> None:
        self.base, self.cap, self.failures, self.next_at = base, cap, 0, 0.0

    def ready(self, now: float) -> bool:
        return now >= self.next_at

    def failed(self, now: float) -> float:
        delay = min(self.cap, self.base * 2**self.failures) * random.uniform(0.8, 1.2)
        self.failures = min(self.failures + 1, 30)
        self.next_at = now + delay
        return delay

    def succeeded(self) -> None:
        self.failures, self.next_at = 0, 0.0


def _hosts(network) -> list[str]:
    if network.num_addresses > MAX_SWEEP:
        raise ConfigInvalid(
            f"{network} has {network.num_addresses} addresses (at most {MAX_SWEEP} are swept)"
        )
    hosts = list(network.hosts()) or [network.network_address]
    return [str(h) for h in hosts]


def _offset(value) -> float:
    if isinstance(value, dict):
        value = value.get("offset")
    if isinstance(value, bool) or not isinstance(value, int | float) or value != value:
        return 0.0
    return float(value)


class Collector:
    def __init__(self, identity: Identity, key, settings: Settings, store: Store) -> None:
        self.identity, self.settings, self.store = identity, settings, store
        self.portal = Portal(
            identity.portal,
            uid=identity.uid,
            key=key,
            ca_bundle=settings.ca_bundle or identity.ca_bundle,
            timeout=settings.http_timeout,
            clock_offset=_offset(store.get("clock_offset")),
        )
        self.client: SnmpClient | None = None
        self.semaphore = asyncio.Semaphore(settings.concurrency)
        self.upload_lock = asyncio.Lock()
        self.config: Config | None = None
        self.config_fetched_at = 0.0
        self.config_wanted = True
        self.last = {key: last for key, (last, _ok) in store.schedule().items()}
        self.in_flight: set[str] = set()
        self.tasks: dict[str, asyncio.Task] = {}
        # After failures: uploads, configuration and heartbeat wait up to a minute; asking for
        # commands (cheap) goes on every 10 s at most, and its first success ends every wait.
        self.backoff = {name: Backoff(cap=60.0) for name in ("config", "upload", "heartbeat")}
        self.backoff["commands"] = Backoff(base=1.0, cap=10.0)
        self.due = {"commands": 0.0, "heartbeat": 0.0, "upload": 0.0}
        self.answers: list[tuple[float, int, dict]] = []  # command answers not yet delivered
        self.reachable: bool | None = None
        self.fatal: BaseException | None = None
        self.batch_items = 500
        self.traps_unknown = 0
        self.trap_polled: dict[int, float] = {}
        self.trap_pending: set[int] = set()  # devices to poll because of a trap
        self.trap_protocol = None
        cached = store.get("config")
        if cached is not None:
            try:
                self.config = self._parse(cached)
            except ConfigInvalid:
                self.config = None

    def _parse(self, data) -> Config:
        return parse_config(data, timeout=self.settings.snmp_timeout, retries=self.settings.snmp_retries)

    # --- the portal -----------------------------------------------------------------------------

    async def http(
        self, method: str, path: str, payload: dict | None = None, *, body: bytes | None = None
    ) -> Answer:
        try:
            answer = await asyncio.to_thread(self.portal.request, method, path, payload, body=body)
        except (Unreachable, CertificateRefused) as exc:
            self._error(str(exc))
            if self.reachable is not False:
                logger.warning("%s", exc)
            self.reachable = False
            raise
        except Unauthorized as exc:
            self._error(str(exc))
            self.fatal = exc
            raise
        finally:
            self._note_clock()
        if self.reachable is False:
            logger.info("The portal answers again (%s)", self.portal.base)
            for backoff in self.backoff.values():
                backoff.succeeded()
        self.reachable = True
        self.store.put("last_contact", time.time())
        return answer

    def _note_clock(self) -> None:
        """Keep the clock offset in the store (``status`` shows it) when it has moved."""
        if not self.portal.clock_measured:
            return
        offset = round(self.portal.clock_offset, 1)
        stored = self.store.get("clock_offset")
        if (
            not isinstance(stored, dict)
            or abs(_offset(stored) - offset) >= 1
            or time.time() - float(stored.get("at") or 0) >= 3600
        ):
            self.store.put("clock_offset", {"offset": offset, "at": time.time()})

    def now(self) -> float:
        """The portal's time: what the ``at`` of a result says (this machine's clock + offset)."""
        return self.portal.now()

    def _error(self, text: str) -> None:
        self.store.put("last_error", {"at": time.time(), "text": text[:500]})

    @property
    def last_error(self) -> str:
        value = self.store.get("last_error") or {}
        return str(value.get("text") or "")

    def _note_version(self, version) -> None:
        if version and self.config is not None and str(version) != self.config.version:
            logger.info("The configuration changed on the portal: fetching it again")
            self.config_wanted = True
            self.backoff["config"].succeeded()

    async def fetch_config(self) -> Config:
        answer = await self.http("GET", "config/")
        config = self._parse(answer.data)
        for problem in config.skipped:
            logger.warning("Configuration: %s (skipped)", problem)
        self.store.put("config", answer.data)
        self.store.put("config_at", time.time())
        keep = {f"device:{i}" for i in config.devices} | {f"range:{r.id}" for r in config.ranges}
        self.store.forget_runs(keep)
        self.last = {k: v for k, v in self.last.items() if k in keep}
        if self.config is None or self.config.version != config.version:
            logger.info(
                "Configuration %s: %d device(s), %d discovery range(s), intervals %s",
                config.version or "-",
                len(config.devices),
                len(config.ranges),
                {k: int(v) for k, v in config.intervals.items()},
            )
        self.config, self.config_fetched_at, self.config_wanted = config, time.monotonic(), False
        return config

    # --- polling --------------------------------------------------------------------------------

    def _queue(self, kind: str, item: dict) -> None:
        dropped = self.store.add(kind, item)
        if dropped:
            logger.warning(
                "The queue is full (%d results): the %d oldest result(s) were dropped (%d dropped in all)",
                self.settings.queue_max,
                dropped,
                self.store.dropped,
            )

    async def poll_device(
        self, device: DeviceConfig, *, trigger: str = TRIGGER, limited: bool = True
    ) -> bool:
        key = f"device:{device.id}"
        self.in_flight.add(key)
        try:
            # ``started`` (this machine's clock) schedules the next poll; ``at`` (the portal's
            # clock, as far as known) dates the result, so its age is right on a skewed machine.
            started, at = time.time(), self.now()
            if limited:
                async with self.semaphore:
                    started, at = time.time(), self.now()
                    result = await probe(self.client, device.target, budget=POLL_BUDGET)
            else:
                result = await probe(self.client, device.target, budget=POLL_BUDGET)
            observation = result.observation(trigger=trigger)
            self._queue(
                "observation",
                {"device": device.id, "at": at, "observation": observation_to_dict(observation)},
            )
            self.last[key] = started
            self.store.mark_run(key, started, ok=result.ok)
            if not result.ok:
                logger.info("Device %s (%s) did not answer: %s", device.id, device.target.host, result.error)
            return result.ok
        finally:
            self.in_flight.discard(key)

    def due_devices(self, now: float) -> list[DeviceConfig]:
        if self.config is None:
            return []
        return [
            d
            for d in self.config.devices.values()
            if f"device:{d.id}" not in self.in_flight
            and (self.last.get(f"device:{d.id}") is None or now - self.last[f"device:{d.id}"] >= d.interval)
        ]

    def due_ranges(self, now: float) -> list[RangeConfig]:
        if self.config is None:
            return []
        every = self.config.intervals["discovery"]
        return [
            r
            for r in self.config.ranges
            if f"range:{r.id}" not in self.in_flight
            and (self.last.get(f"range:{r.id}") is None or now - self.last[f"range:{r.id}"] >= every)
        ]

    async def sweep(self, rng: RangeConfig) -> int:
        key = f"range:{rng.id}"
        self.in_flight.add(key)
        try:
            try:
                hosts = _hosts(rng.network)
            except ConfigInvalid as exc:
                logger.warning("Discovery range %s: %s", rng.id, exc)
                self._error(f"discovery range {rng.id}: {exc}")
                hosts = []
            known = {
                (d.target.host, d.target.port) for d in (self.config.devices.values() if self.config else ())
            }
            found = 0

            async def one(host: str) -> None:
                nonlocal found
                target = SnmpTarget(
                    host,
                    rng.port,
                    version=rng.version,
                    community=rng.community,
                    timeout=DISCOVERY_TIMEOUT,
                    retries=0,
                )
                async with self.semaphore:
                    at = self.now()
                    result = await probe(self.client, target, budget=DISCOVERY_BUDGET)
                if result.ok and result.normalised is not None and result.normalised.is_printer:
                    found += 1
                    self._queue(
                        "discovered",
                        {
                            "host": host,
                            "port": rng.port,
                            "version": rng.version,
                            "community": rng.community,
                            "range": rng.id,
                            "at": at,
                            "observation": observation_to_dict(result.observation(trigger="discovery")),
                        },
                    )

            todo = [h for h in hosts if (h, rng.port) not in known]
            chunk = max(1, self.settings.concurrency * 4)
            for start in range(0, len(todo), chunk):
                await asyncio.gather(*(one(h) for h in todo[start : start + chunk]))
            now = time.time()
            self.last[key] = now
            self.store.mark_run(key, now)
            logger.info("Discovery range %s (%s): %d printer(s) answered", rng.id, rng.network, found)
            return found
        finally:
            self.in_flight.discard(key)

    # --- uploads --------------------------------------------------------------------------------

    async def upload(self) -> int:
        """Send the queue, oldest first, until it is empty. Raises Unreachable (try later) or
        Unauthorized (stop). Returns how many results the portal acknowledged."""
        sent = 0
        async with self.upload_lock:
            while True:
                batch = self.store.next_batch(max_items=self.batch_items)
                if batch is None:
                    self.batch_items = 500
                    return sent
                try:
                    answer = await self.http("POST", "results/", body=batch.body())
                except Refused as exc:
                    if exc.status == 413 and len(batch) > 1:
                        self.store.release(batch.batch)
                        self.batch_items = max(1, len(batch) // 2)
                        logger.warning(
                            "The portal found a batch too large: sending %d at a time", self.batch_items
                        )
                        continue
                    kept = self.store.refuse(batch.batch, exc.status, f"{exc.error}: {exc.detail}")
                    logger.error(
                        "The portal refused batch %s (%d result(s), kept apart, not sent again): %s %s: %s",
                        batch.batch,
                        kept,
                        exc.status,
                        exc.error,
                        exc.detail,
                    )
                    self._error(f"batch {batch.batch} refused: {exc.status} {exc.error}: {exc.detail}")
                    continue
                done = self.store.acknowledge(batch.batch)
                sent += done
                ignored = answer.data.get("ignored")
                if answer.data.get("duplicate"):
                    logger.info("Batch %s was already received: %d result(s) forgotten", batch.batch, done)
                elif ignored:
                    logger.warning("The portal ignored device(s) %s: another collector owns them", ignored)
                logger.debug("Batch %s sent: %d result(s)", batch.batch, done)

    # --- commands -------------------------------------------------------------------------------

    async def commands(self) -> int:
        """Ask for commands and run them; returns how many ran."""
        await self._deliver_answers()
        answer = await self.http("GET", "commands/")
        self._note_version(answer.data.get("config_version"))
        commands = [c for c in (answer.data.get("commands") or []) if isinstance(c, dict)]
        if commands:
            await asyncio.gather(*(self.command(c) for c in commands))
        return len(commands)

    async def command(self, command: dict) -> None:
        cid = command.get("id")
        if isinstance(cid, bool) or not isinstance(cid, int):
            logger.warning("A command without an id was ignored: %r", command)
            return
        kind = str(command.get("kind") or "")
        logger.info("Command %s: %s on device %s", cid, kind, command.get("device"))
        try:
            ok, detail, result = await self._execute(command, kind)
        except Unauthorized:
            raise
        except Exception as exc:  # a device or a command must never stop the collector
            logger.exception("Command %s failed", cid)
            ok, detail, result = False, f"{type(exc).__name__}: {exc}"[:500], {}
        payload = {"ok": ok, "detail": detail[:500], "result": result}
        if not ok:
            logger.warning("Command %s (%s) failed: %s", cid, kind, detail)
        self.answers.append((time.monotonic(), cid, payload))
        await self._deliver_answers()

    async def _device(self, device_id) -> DeviceConfig | None:
        if self.config is not None and device_id in self.config.devices:
            return self.config.devices[device_id]
        try:
            await self.fetch_config()
        except Unreachable:
            return None
        return self.config.devices.get(device_id) if self.config else None

    async def _execute(self, command: dict, kind: str) -> tuple[bool, str, dict]:
        args = command.get("args") if isinstance(command.get("args"), dict) else {}
        device = await self._device(command.get("device"))
        if device is None:
            return False, f"device {command.get('device')} is not in this collector's configuration", {}
        target = device.target
        try:
            if kind == "refresh":
                ok = await self.poll_device(device, trigger="refresh", limited=False)
                with contextlib.suppress(Unreachable, CertificateRefused):
                    await self.upload()  # else the result stays queued for the next upload
                return ok, "" if ok else "the device did not answer", {"reachable": ok}
            if kind == "reset":
                await actions.reset(self.client, target)
                return True, "", {}
            if kind == "location":
                location = args.get("location")
                if not isinstance(location, str) or len(location) > 255:
                    return False, "the location must be text of at most 255 characters", {}
                now = await actions.set_location(self.client, target, location)
                return True, "", {"location": now}
            if kind == "test_page":
                try:
                    payload = base64.b64decode(str(args.get("payload") or ""), validate=True)
                except (binascii.Error, ValueError):
                    return False, "the test page is not valid base64", {}
                port = args.get("port", actions.RAW_PORT)
                if isinstance(port, bool) or not isinstance(port, int) or not 1 <= port <= 65535:
                    return False, f"bad raw print port {port!r}", {}
                if not payload or len(payload) > MAX_TEST_PAGE:
                    return False, "the test page is empty or too large", {}
                await actions.send_raw(target.host, payload, port=port)
                return True, "", {"port": port, "bytes": len(payload)}
        except RawPrintError as exc:
            return False, str(exc), {"stage": exc.stage, "port": exc.port, "reason": exc.reason}
        except SnmpResponseError as exc:
            return False, str(exc), {"snmp_status": exc.status}
        except SnmpError as exc:
            return False, str(exc) or type(exc).__name__, {}
        return False, f"unknown command kind {kind!r}", {}

    async def _deliver_answers(self) -> None:
        now = time.monotonic()
        waiting, self.answers = self.answers, []
        for queued_at, cid, payload in waiting:
            if now - queued_at > ANSWER_EXPIRY:
                logger.warning("The answer to command %s could not be delivered in time: given up", cid)
                continue
            try:
                await self.http("POST", f"commands/{cid}/", payload)
            except Refused as exc:
                logger.warning("The portal refused the answer to command %s: %s", cid, exc)
            except Unreachable:
                self.answers.append((queued_at, cid, payload))

    # --- health ---------------------------------------------------------------------------------

    def devices_polled(self) -> int:
        if self.config is None:
            return 0
        now = time.time()
        return sum(
            1
            for d in self.config.devices.values()
            if (last := self.last.get(f"device:{d.id}")) is not None and now - last <= 2 * d.interval + 60
        )

    async def heartbeat(self) -> None:
        answer = await self.http(
            "POST",
            "heartbeat/",
            {
                "version": __version__,
                "hostname": hostname(),
                "queue_depth": self.store.depth(),
                "dropped": self.store.dropped,
                "devices_polled": self.devices_polled(),
                "traps_unknown": self.traps_unknown,
                "last_error": self.last_error,
            },
        )
        self._note_version(answer.data.get("config_version"))

    # --- one cycle, or for ever -----------------------------------------------------------------

    async def once(self) -> tuple[bool, str]:
        """Configuration, commands, what is due, the whole queue. (ok, message)."""
        problem = ""
        async with SnmpClient() as self.client:
            try:
                await self.fetch_config()
                await self.commands()
            except (Unreachable, CertificateRefused, Refused) as exc:
                problem = str(exc)
            now = time.time()
            await asyncio.gather(
                *(self.poll_device(d) for d in self.due_devices(now)),
                *(self.sweep(r) for r in self.due_ranges(now)),
            )
            try:
                await self.upload()
            except (Unreachable, CertificateRefused) as exc:
                problem = str(exc)
            if self.reachable:
                try:
                    await self.heartbeat()
                except (Unreachable, CertificateRefused, Refused) as exc:
                    logger.warning("Heartbeat not sent: %s", exc)
        depth = self.store.depth()
        if depth:
            return False, f"{problem or 'upload incomplete'}: {depth} result(s) kept in the queue"
        if self.config is None:
            return False, f"{problem or 'no configuration'}: no configuration received from the portal yet"
        if problem:
            return True, f"queue empty, but: {problem}"
        return True, ""

    def _spawn(self, name: str, factory: Callable[[], Awaitable], backoff: str | None = None) -> None:
        if name in self.tasks:
            return
        task = asyncio.create_task(factory(), name=name)
        self.tasks[name] = task

        def done(t: asyncio.Task) -> None:
            self.tasks.pop(name, None)
            if t.cancelled():
                return
            exc = t.exception()
            if isinstance(exc, Unauthorized):
                self.fatal = exc
            elif isinstance(exc, PortalError):
                if isinstance(exc, Refused):  # a 4xx: the portal says why; said, then tried later
                    logger.warning("%s: %s", name, exc)
                    self._error(f"{name}: {exc}")
                if backoff:
                    delay = self.backoff[backoff].failed(time.monotonic())
                    logger.debug("%s failed (%s): next try in %.0f s", name, exc, delay)
            elif exc is not None:
                logger.error("%s failed: %s", name, exc, exc_info=exc)
                self._error(f"{name}: {type(exc).__name__}: {exc}")
            elif backoff:
                self.backoff[backoff].succeeded()

        task.add_done_callback(done)

    async def forever(self, stop: asyncio.Event | None = None) -> None:
        """Run until ``stop`` is set; raises Unauthorized when the portal refuses the credential."""
        stop = stop or asyncio.Event()
        logger.info(
            "fmp-collector %s: collector %s (%s) of %s, portal %s",
            __version__,
            self.identity.name or "-",
            self.identity.uid,
            self.identity.account or "-",
            self.portal.base,
        )
        if self.config is not None:
            logger.info(
                "Polling with the last configuration received (%s) until the portal answers",
                self.config.version,
            )
        async with SnmpClient() as self.client:
            traps = await self.traps_start()
            try:
                while not stop.is_set() and self.fatal is None:
                    self._tick()
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(stop.wait(), TICK)
            finally:
                if traps is not None:
                    traps.close()
                for task in list(self.tasks.values()):
                    task.cancel()
                await asyncio.gather(*self.tasks.values(), return_exceptions=True)
        if self.fatal is not None:
            raise self.fatal

    # --- traps ----------------------------------------------------------------------------------

    async def traps_start(self):
        """Listen for the devices' traps where ``trap_bind`` says (off when empty)."""
        if not self.settings.trap_bind:
            return None
        host, _, port = self.settings.trap_bind.rpartition(":")
        communities = frozenset(c.strip() for c in self.settings.trap_communities.split(",") if c.strip())
        try:
            transport, self.trap_protocol = await serve(
                self.trap_received, host.strip("[]"), int(port), communities=communities or None
            )
        except OSError as exc:
            logger.error("Cannot receive traps on %s: %s", self.settings.trap_bind, exc)
            self._error(f"cannot receive traps on {self.settings.trap_bind}: {exc}")
            return None
        logger.info("Receiving the devices' traps on %s", self.settings.trap_bind)
        return transport

    def trap_received(self, trap, source: str) -> None:
        """A trap from one of this collector's devices is queued for the portal and the
        device polled now to confirm (at most once a minute); others are counted."""
        device = None
        if self.config is not None:
            at_source = [d for d in self.config.devices.values() if d.target.host == source]
            device = at_source[0] if len(at_source) == 1 else None  # several at one address: whose?
        if device is None:
            self.traps_unknown += 1
            logger.info("Trap from %s, which is none of this collector's devices: not sent", source)
            return
        self._queue(
            "trap",
            {"device": device.id, "at": self.now(), "source": source, "trap": trap_to_dict(trap)},
        )
        mono = time.monotonic()
        if mono - self.trap_polled.get(device.id, -TRAP_POLL_EVERY) >= TRAP_POLL_EVERY:
            self.trap_polled[device.id] = mono
            self.trap_pending.add(device.id)  # polled at the next tick (after a poll in flight)
        self.due["upload"] = 0.0  # send it at the next tick

    def _tick(self) -> None:
        mono, now = time.monotonic(), time.time()
        if (self.config_wanted or mono - self.config_fetched_at >= CONFIG_REFRESH) and self.backoff[
            "config"
        ].ready(mono):
            self._spawn("config", self.fetch_config, "config")
        if self.config is None:
            return
        for device in self.due_devices(now):
            self._spawn(f"poll:{device.id}", lambda d=device: self.poll_device(d))
        for device_id in list(self.trap_pending):
            device = self.config.devices.get(device_id)
            if device is None:
                self.trap_pending.discard(device_id)
            elif f"device:{device_id}" not in self.in_flight and f"poll:{device_id}" not in self.tasks:
                self.trap_pending.discard(device_id)
                self._spawn(f"poll:{device_id}", lambda d=device: self.poll_device(d, trigger="trap"))
        for rng in self.due_ranges(now):
            self._spawn(f"sweep:{rng.id}", lambda r=rng: self.sweep(r))
        every = self.settings.command_interval or self.config.intervals["commands"]
        if mono >= self.due["commands"] and self.backoff["commands"].ready(mono):
            self.due["commands"] = mono + every
            self._spawn("commands", self.commands, "commands")
        if mono >= self.due["heartbeat"] and self.backoff["heartbeat"].ready(mono):
            self.due["heartbeat"] = mono + self.config.intervals["heartbeat"]
            self._spawn("heartbeat", self.heartbeat, "heartbeat")
        if mono >= self.due["upload"] and self.backoff["upload"].ready(mono) and self.store.depth():
            self.due["upload"] = mono + UPLOAD_EVERY
            self._spawn("upload", self.upload, "upload")
