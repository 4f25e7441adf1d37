"""The collector's identity in its state folder: collector.json and key.pem (mode 0600)."""

from __future__ import annotations

import json
import os
import platform
import socket
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from fmp_collector import __version__, protocol
from fmp_collector.portal import Portal, Refused

IDENTITY_NAME = "collector.json"
KEY_NAME = "key.pem"


class NotEnrolled(Exception):
    pass


class AlreadyEnrolled(Exception):
    pass


@dataclass
class Identity:
    portal: str
    uid: str
    name: str = ""
    account: str = ""
    site: str = ""
    ca_bundle: str = ""
    enrolled_at: float = 0.0


def hostname() -> str:
    return (socket.gethostname() or platform.node() or "unknown")[:255]


def load_identity(state: Path) -> tuple[Identity, object]:
    path, key_path = Path(state) / IDENTITY_NAME, Path(state) / KEY_NAME
    if not path.exists() or not key_path.exists():
        raise NotEnrolled(
            f"this collector is not enrolled ({path} not found): run "
            f"`fmp-collector enroll PORTAL_URL CODE --state {state}` first"
        )
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        identity = Identity(**{k: v for k, v in data.items() if k in Identity.__dataclass_fields__})
        key = protocol.load_private_key(key_path.read_bytes())
    except (ValueError, TypeError, OSError) as exc:
        raise NotEnrolled(f"the collector's state in {state} is unreadable ({exc}): enroll it again") from exc
    return identity, key


def _write_private(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)


def enroll(
    portal_url: str,
    code: str,
    state: Path,
    *,
    ca_bundle: str = "",
    force: bool = False,
    timeout: float = 30.0,
) -> Identity:
    """Exchange a one-time code for this collector's own credential (a new Ed25519 key whose
    public half the portal keeps). Raises PortalError / BadPortalUrl / AlreadyEnrolled."""
    state = Path(state)
    if (state / IDENTITY_NAME).exists() and not force:
        raise AlreadyEnrolled(
            f"already enrolled in {state} (see `fmp-collector status --state {state}`); "
            "use --force to enroll again and replace its key"
        )
    if ca_bundle:
        ca_path = Path(ca_bundle).expanduser().resolve()
        if not ca_path.is_file():
            raise FileNotFoundError(f"the CA bundle {ca_bundle} does not exist")
        ca_bundle = str(ca_path)
    portal = Portal(portal_url, ca_bundle=ca_bundle, timeout=timeout)
    code = code.strip()
    if not code:
        raise Refused(400, "invalid", "the enrollment code is empty")
    key = protocol.new_key()
    answer = portal.request(
        "POST",
        "enroll/",
        {
            "code": code,
            "public_key": protocol.public_key_text(key),
            "hostname": hostname(),
            "version": __version__,
        },
    )
    uid = str(answer.data.get("collector") or "")
    if not uid:
        raise Refused(answer.status, "invalid", "the portal's answer names no collector")
    identity = Identity(
        portal=portal.base,
        uid=uid,
        name=str(answer.data.get("name") or ""),
        account=str(answer.data.get("account") or ""),
        site=str(answer.data.get("site") or ""),
        ca_bundle=ca_bundle,
        enrolled_at=time.time(),
    )
    state.mkdir(parents=True, exist_ok=True)
    _write_private(state / KEY_NAME, protocol.private_key_pem(key))
    _write_private(state / IDENTITY_NAME, json.dumps(asdict(identity), indent=2).encode("utf-8") + b"\n")
    return identity
