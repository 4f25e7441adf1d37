"""The collector's settings: defaults, then DIR/collector.toml, then environment variables.

    queue_max        FMP_COLLECTOR_QUEUE_MAX         results kept while the portal is away (100000)
    log_file         FMP_COLLECTOR_LOG_FILE          also log to this file ("" = stdout only)
    log_level        FMP_COLLECTOR_LOG_LEVEL         DEBUG, INFO, WARNING, ERROR (INFO)
    concurrency      FMP_COLLECTOR_CONCURRENCY       devices polled at once (64)
    ca_bundle        FMP_COLLECTOR_CA_BUNDLE         CA certificates that sign the portal's certificate
    http_timeout     FMP_COLLECTOR_HTTP_TIMEOUT      seconds for one request to the portal (30)
    command_interval FMP_COLLECTOR_COMMAND_INTERVAL  seconds between asks for commands (the portal's)
    snmp_timeout     FMP_COLLECTOR_SNMP_TIMEOUT      seconds to wait for one SNMP answer (2)
    snmp_retries     FMP_COLLECTOR_SNMP_RETRIES      SNMP requests sent again before giving up (1)
    trap_bind        FMP_COLLECTOR_TRAP_BIND         receive the devices' SNMP traps here, ADDRESS:PORT ("" = off)
    trap_communities FMP_COLLECTOR_TRAP_COMMUNITIES  community strings accepted in traps, comma-separated ("" = any)

Proxies come from the standard HTTPS_PROXY / NO_PROXY variables.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path

TOML_NAME = "collector.toml"
LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")


class SettingsError(ValueError):
    """A setting is invalid; the message names the file or variable and the value."""


@dataclass(frozen=True)
class Settings:
    queue_max: int = 100_000
    log_file: str = ""
    log_level: str = "INFO"
    concurrency: int = 64
    ca_bundle: str = ""
    http_timeout: float = 30.0
    command_interval: float | None = None  # None: what the portal's configuration says
    snmp_timeout: float = 2.0
    snmp_retries: int = 1
    trap_bind: str = ""
    trap_communities: str = ""


def _env_name(name: str) -> str:
    return f"FMP_COLLECTOR_{name.upper()}"


def _convert(name: str, value, source: str):
    def bad(expected: str) -> SettingsError:
        return SettingsError(f"{source}: {name} must be {expected}, not {value!r}")

    if name in ("queue_max", "concurrency"):
        if isinstance(value, bool):
            raise bad("a positive whole number")
        try:
            number = int(value)
        except (TypeError, ValueError):
            raise bad("a positive whole number") from None
        if number < 1 or (name == "concurrency" and number > 4096):
            raise bad("a positive whole number" + (" up to 4096" if name == "concurrency" else ""))
        return number
    if name == "snmp_retries":
        if isinstance(value, bool) or not str(value).strip().isdigit() or int(value) > 10:
            raise bad("a whole number from 0 to 10")
        return int(value)
    if name in ("http_timeout", "command_interval", "snmp_timeout"):
        if isinstance(value, bool):
            raise bad("a number of seconds")
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise bad("a number of seconds") from None
        if not (0.1 <= number <= 3600):
            raise bad("a number of seconds between 0.1 and 3600")
        return number
    if not isinstance(value, str):
        raise bad("text")
    if name == "trap_bind" and value.strip():
        host, _, port = value.strip().rpartition(":")
        if not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise bad("ADDRESS:PORT (e.g. 0.0.0.0:162)")
    if name == "log_level":
        level = value.strip().upper()
        if level not in LEVELS:
            raise bad("one of " + ", ".join(LEVELS))
        return level
    return value.strip()


def load_settings(state: Path, environ: Mapping[str, str] | None = None) -> Settings:
    """Defaults < DIR/collector.toml < FMP_COLLECTOR_* variables. Raises SettingsError."""
    environ = os.environ if environ is None else environ
    names = {f.name for f in fields(Settings)}
    values: dict = {}
    path = Path(state) / TOML_NAME
    if path.exists():
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError, OSError) as exc:
            raise SettingsError(f"{path}: not a readable TOML file ({exc})") from exc
        data = data.get("collector", data) if isinstance(data.get("collector"), dict) else data
        unknown = sorted(set(data) - names)
        if unknown:
            raise SettingsError(f"{path}: unknown setting(s) {', '.join(unknown)}")
        for name, value in data.items():
            values[name] = _convert(name, value, str(path))
    for name in names:
        raw = environ.get(_env_name(name))
        if raw is not None and raw.strip() != "":
            values[name] = _convert(name, raw, _env_name(name))
    return Settings(**values)
