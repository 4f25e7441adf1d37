"""The collector ↔ portal protocol, shared by both ends (no Django here).

Every request after enrollment is signed with the collector's Ed25519 key. The portal keeps
only the public key, so it holds no secret of the collector's. The signed text binds the
method, the path with its query, a timestamp, a one-time nonce and the body's digest:

    FMP1\\n<METHOD>\\n<path?query>\\n<timestamp>\\n<nonce>\\n<sha256(body) hex>

The portal refuses a request whose timestamp is more than ``MAX_SKEW`` seconds away from its
clock, or whose nonce it has already seen from that collector (a replay).
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import time

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

PREFIX = "/collector/v1/"
HEADER_COLLECTOR = "X-FMP-Collector"
HEADER_TIMESTAMP = "X-FMP-Timestamp"
HEADER_NONCE = "X-FMP-Nonce"
HEADER_SIGNATURE = "X-FMP-Signature"
MAX_SKEW = 300  # seconds
MAX_BODY = 2 * 1024 * 1024  # bytes of one request body
MAX_BATCH = 500  # observations in one results batch


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def signed_text(method: str, path: str, timestamp: str, nonce: str, body: bytes) -> bytes:
    digest = hashlib.sha256(body).hexdigest()
    return f"FMP1\n{method.upper()}\n{path}\n{timestamp}\n{nonce}\n{digest}".encode()


def new_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


def private_key_pem(key: Ed25519PrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def load_private_key(pem: bytes) -> Ed25519PrivateKey:
    key = serialization.load_pem_private_key(pem, password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError("the collector key is not an Ed25519 key")
    return key


def public_key_text(key: Ed25519PrivateKey) -> str:
    """The public half, as sent at enrollment (43 characters of base64url)."""
    raw = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return b64(raw)


def parse_public_key(text: str) -> Ed25519PublicKey:
    """Raises ValueError when ``text`` is not a raw Ed25519 public key in base64url."""
    try:
        raw = unb64(text)
    except (ValueError, TypeError) as exc:
        raise ValueError("the public key is not base64url") from exc
    if len(raw) != 32:
        raise ValueError("the public key is not an Ed25519 key (32 bytes)")
    return Ed25519PublicKey.from_public_bytes(raw)


def sign_headers(
    key: Ed25519PrivateKey, collector: str, method: str, path: str, body: bytes, *, now: float | None = None
) -> dict[str, str]:
    """The headers that authenticate one request (``path`` includes the query string)."""
    timestamp = str(int(now if now is not None else time.time()))
    nonce = secrets.token_hex(16)
    signature = key.sign(signed_text(method, path, timestamp, nonce, body))
    return {
        HEADER_COLLECTOR: collector,
        HEADER_TIMESTAMP: timestamp,
        HEADER_NONCE: nonce,
        HEADER_SIGNATURE: b64(signature),
    }


class SignatureRefused(Exception):
    """Why a signed request is refused (the portal answers 401 with this reason)."""


def verify(
    public_key: str,
    method: str,
    path: str,
    body: bytes,
    timestamp: str,
    nonce: str,
    signature: str,
    *,
    now: float | None = None,
) -> None:
    """Check one request's signature and clock; the caller checks the nonce is new."""
    if not timestamp.isdigit() or len(timestamp) > 12:
        raise SignatureRefused("bad timestamp")
    if abs(int(timestamp) - (now if now is not None else time.time())) > MAX_SKEW:
        raise SignatureRefused("timestamp outside the allowed clock skew")
    if not (16 <= len(nonce) <= 64) or not all(c in "0123456789abcdef" for c in nonce):
        raise SignatureRefused("bad nonce")
    try:
        key = parse_public_key(public_key)
        key.verify(unb64(signature), signed_text(method, path, timestamp, nonce, body))
    except (InvalidSignature, ValueError, TypeError) as exc:
        raise SignatureRefused("bad signature") from exc
