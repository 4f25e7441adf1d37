"""The ``fmp-collector`` command: enroll, run, status.

Exit status: 0 success; 1 a failure (the message says which); 2 a usage error;
3 the portal refused the collector's credential (revoked, or not enrolled there). A clock
that is off is not a refused credential: the collector corrects it and goes on (never 3).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import signal
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from fmp_collector import __version__
from fmp_collector.identity import AlreadyEnrolled, NotEnrolled, enroll, load_identity
from fmp_collector.portal import BadPortalUrl, PortalError, Unauthorized, describe_offset
from fmp_collector.settings import Settings, SettingsError, load_settings
from fmp_collector.store import DB_NAME, Store

if TYPE_CHECKING:
    from fmp_collector.runner import Collector

EXIT_FAILED, EXIT_UNAUTHORIZED = 1, 3
logger = logging.getLogger("fmp_collector")


class Failed(Exception):
    def __init__(self, message: str, code: int = EXIT_FAILED):
        super().__init__(message)
        self.code = code


def _setup_logging(settings: Settings) -> None:
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "fmp_collector", False):  # ours, from an earlier call
            root.removeHandler(handler)
            handler.close()
    formatter = logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s", "%Y-%m-%dT%H:%M:%SZ")
    formatter.converter = time.gmtime
    handlers: list[logging.Handler] = [logging.StreamHandler(sys.stdout)]
    if settings.log_file:
        try:
            handlers.append(logging.FileHandler(settings.log_file, encoding="utf-8"))
        except OSError as exc:
            raise Failed(f"cannot open the log file {settings.log_file}: {exc}") from exc
    for handler in handlers:
        handler.fmp_collector = True
        handler.setFormatter(formatter)
        root.addHandler(handler)
    root.setLevel(settings.log_level)
    logging.getLogger("urllib3").setLevel(max(logging.WARNING, root.level))


def _settings(state: Path) -> Settings:
    try:
        return load_settings(state)
    except SettingsError as exc:
        raise Failed(f"invalid setting: {exc}") from exc


def _state(value: str) -> Path:
    return Path(value).expanduser().resolve()


def cmd_enroll(args) -> int:
    state = _state(args.state)
    settings = _settings(state)
    ca_bundle = args.ca_bundle or settings.ca_bundle
    try:
        identity = enroll(
            args.portal_url,
            args.code,
            state,
            ca_bundle=ca_bundle,
            force=args.force,
            timeout=settings.http_timeout,
        )
    except (AlreadyEnrolled, BadPortalUrl, FileNotFoundError) as exc:
        raise Failed(str(exc)) from exc
    except PortalError as exc:
        text = str(exc)
        if getattr(exc, "error", "") == "code_refused" or getattr(exc, "status", None) == 403:
            text = f"enrollment refused: {getattr(exc, 'detail', '') or text}"
        raise Failed(text) from exc
    except OSError as exc:
        raise Failed(f"cannot write the collector's state in {state}: {exc}") from exc
    if args.force and (state / DB_NAME).exists():
        with Store(state) as store:
            store.put("config", None)
            store.forget_runs(set())
    where = f"{identity.account}" + (f" / {identity.site}" if identity.site else "")
    print(
        f"Enrolled as collector {identity.name or '-'} ({identity.uid}) of {where or '-'} at {identity.portal}"
    )
    print(f"State kept in {state}; start it with: fmp-collector run --state {state}")
    return 0


def cmd_run(args) -> int:
    state = _state(args.state)
    settings = _settings(state)
    _setup_logging(settings)
    try:
        identity, key = load_identity(state)
    except NotEnrolled as exc:
        raise Failed(str(exc)) from exc
    from fmp_collector.runner import Collector  # the SNMP engine, loaded only to run

    with Store(state, queue_max=settings.queue_max) as store:
        collector = Collector(identity, key, settings, store)
        try:
            if args.once:
                ok, message = asyncio.run(collector.once())
                if not ok:
                    raise Failed(message)
                if message:
                    logger.warning("%s", message)
                logger.info("One cycle done: the queue is empty")
                return 0
            asyncio.run(_forever(collector))
        except Unauthorized as exc:
            raise Failed(str(exc), EXIT_UNAUTHORIZED) from exc
        except KeyboardInterrupt:
            logger.info("Stopped")
    return 0


async def _forever(collector: Collector) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):  # Windows
            loop.add_signal_handler(signum, stop.set)
    await collector.forever(stop)
    logger.info("Stopped (%d result(s) kept in the queue)", collector.store.depth())


def _when(value) -> str:
    if not value:
        return "never"
    moment = datetime.fromtimestamp(float(value), UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    ago = max(0, int(time.time() - float(value)))
    return f"{moment} ({ago} s ago)"


def status_data(state: Path) -> dict:
    from fmp_collector.runner import ConfigInvalid, parse_config

    identity, _key = load_identity(state)
    settings = _settings(state)
    with Store(state, queue_max=settings.queue_max) as store:
        raw = store.get("config")
        try:
            config = parse_config(raw) if raw is not None else None
        except ConfigInvalid:
            config = None
        error = store.get("last_error") or {}
        clock = store.get("clock_offset")
        clock = clock if isinstance(clock, dict) else {}
        return {
            "portal": identity.portal,
            "collector": {
                "uid": identity.uid,
                "name": identity.name,
                "account": identity.account,
                "site": identity.site,
            },
            "version": __version__,
            "last_contact": store.get("last_contact"),
            "last_config": store.get("config_at"),
            "config_version": config.version if config else None,
            "devices": len(config.devices) if config else 0,
            "discovery_ranges": len(config.ranges) if config else 0,
            "queue_depth": store.depth(),
            "queue_max": settings.queue_max,
            "dropped": store.dropped,
            "refused": store.refused_count,
            "last_error": error.get("text") or "",
            "last_error_at": error.get("at"),
            # The portal's clock minus this machine's, in seconds (None: not measured yet).
            "clock_offset": clock.get("offset"),
            "clock_measured_at": clock.get("at"),
        }


def cmd_status(args) -> int:
    state = _state(args.state)
    try:
        data = status_data(state)
    except NotEnrolled as exc:
        raise Failed(str(exc)) from exc
    if args.json:
        print(json.dumps(data, indent=2))
        return 0
    c = data["collector"]
    lines = [
        ("portal", data["portal"]),
        ("collector", f"{c['name'] or '-'} ({c['uid']})"),
        ("account", c["account"] + (f" / {c['site']}" if c["site"] else "") or "-"),
        ("last contact", _when(data["last_contact"])),
        (
            "last config",
            _when(data["last_config"])
            + (f", version {data['config_version']}" if data["config_version"] else ""),
        ),
        ("devices", f"{data['devices']} (discovery ranges: {data['discovery_ranges']})"),
        ("queue depth", f"{data['queue_depth']} (at most {data['queue_max']})"),
        ("dropped", str(data["dropped"])),
        ("refused", str(data["refused"])),
        (
            "clock",
            "not measured yet"
            if not isinstance(data["clock_offset"], int | float)
            else describe_offset(data["clock_offset"])
            + (" (results are dated by the portal's clock)" if abs(data["clock_offset"]) >= 1 else ""),
        ),
        (
            "last error",
            f"{data['last_error']} ({_when(data['last_error_at'])})" if data["last_error"] else "none",
        ),
    ]
    for label, value in lines:
        print(f"{label + ':':14}{value}")
    return 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="fmp-collector",
        description="FMP site collector: polls the printers of a site and sends what it finds to the "
        "portal over outbound HTTPS.",
    )
    p.add_argument("--version", action="version", version=f"fmp-collector {__version__}")
    sub = p.add_subparsers(dest="command", required=True, metavar="{enroll,run,status}")
    e = sub.add_parser("enroll", help="exchange a one-time code for this collector's credential")
    e.add_argument("portal_url", metavar="PORTAL_URL", help="the portal, e.g. https://fmp.example.com")
    e.add_argument("code", metavar="CODE", help="the one-time enrollment code from the help desk")
    e.add_argument("--state", required=True, metavar="DIR", help="the collector's state folder")
    e.add_argument("--ca-bundle", metavar="FILE", default="", help="CA certificates to trust for the portal")
    e.add_argument("--force", action="store_true", help="enroll again, replacing the key kept in DIR")
    e.set_defaults(func=cmd_enroll)
    r = sub.add_parser("run", help="poll and upload (until stopped, or one cycle with --once)")
    r.add_argument("--state", required=True, metavar="DIR")
    r.add_argument("--once", action="store_true", help="one cycle; exit 0 when the queue is empty")
    r.set_defaults(func=cmd_run)
    s = sub.add_parser("status", help="print the collector's state")
    s.add_argument("--state", required=True, metavar="DIR")
    s.add_argument("--json", action="store_true", help="as JSON")
    s.set_defaults(func=cmd_status)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return args.func(args)
    except Failed as exc:
        print(f"fmp-collector: {exc}", file=sys.stderr)
        logger.debug("failed", exc_info=True)
        return exc.code


if __name__ == "__main__":
    sys.exit(main())
