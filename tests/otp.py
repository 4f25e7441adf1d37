"""Authenticator-app arithmetic for the tests (RFC 6238, written out here rather than
borrowed from the code under test), and the helpers that use it."""

from __future__ import annotations

import base64
import hashlib
import hmac
import struct
import time

STEP = 30


def totp(secret: str, step: int | None = None) -> str:
    """The 6-digit code of base32 ``secret`` (spaces allowed) at time step ``step`` (now)."""
    key = base64.b32decode(secret.replace(" ", "").upper() + "=" * (-len(secret.replace(" ", "")) % 8))
    counter = int(time.time()) // STEP if step is None else step
    digest = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return f"{value % 1_000_000:06d}"


def secret_of(user) -> str:
    """The base32 secret of the user's authenticator app, as the app holds it."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.filter(user=user, confirmed=True).get()
    return base64.b32encode(device.bin_key).decode()


def fresh_code(user, secret: str | None = None) -> str:
    """A code the user's app shows now that was not used yet (each code works once: right
    after a use, the next step's code, which the one-step tolerance accepts)."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.filter(user=user, confirmed=True).get()
    step = max(int(time.time()) // STEP, device.last_t + 1)
    return totp(secret or base64.b32encode(device.bin_key).decode(), step)


def wrong_code(secret: str) -> str:
    """A 6-digit code that the app shows at no step near now."""
    now = int(time.time()) // STEP
    near = {totp(secret, step) for step in range(now - 2, now + 3)}
    return next(c for c in ("000000", "111111", "222222", "333333") if c not in near)
