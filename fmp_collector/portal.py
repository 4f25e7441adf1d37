"""Talking to the portal: signed HTTPS requests (blocking; the run loop calls them in threads).

Every failure becomes a ``PortalError`` whose message is one readable line:

- ``Unreachable``: network, proxy, timeout or a 5xx (try again later);
- ``CertificateRefused``: the portal's certificate is not trusted here (give --ca-bundle);
- ``ClockSkew``: 401 ``clock_skew`` even after correcting the clock offset (an ``Unreachable``:
  try again later, never stop);
- ``Unauthorized``: another 401, the collector is revoked or not enrolled (stop);
- ``Refused``: another 4xx (do not send this again as it is), with the portal's reason.

The clock: a small machine without a real-time clock (a Raspberry Pi) often runs minutes off.
Every answer of the portal carries an HTTP ``Date``; the collector keeps the offset
(portal's time - local time), measured on every answer, and signs with local time + offset.
A request the portal still finds outside its allowed skew (401 ``clock_skew``) is sent once
more, with the offset taken from that answer and a new nonce.
"""

from __future__ import annotations

import email.utils
import ipaddress
import json
import logging
import threading
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

import requests

from fmp_collector import __version__, protocol

USER_AGENT = f"fmp-collector/{__version__}"
SKEW_WARNING = 5.0  # seconds: an offset beyond this is logged (once, and again when it changes)
CLOCK_RESOLUTION = 1.5  # seconds: below this, the measured offset is the Date header's rounding
SKEW_JUMP = 2.0  # seconds: a measure this far from the offset replaces it (else it is smoothed)
logger = logging.getLogger("fmp_collector")


class PortalError(Exception):
    status: int | None = None


class Unreachable(PortalError):
    def __init__(self, message: str, status: int | None = None):
        super().__init__(message)
        self.status = status


class CertificateRefused(PortalError):
    pass


class ClockSkew(Unreachable):
    """The portal refused the request's time even after the clock offset was corrected."""

    def __init__(self, message: str):
        super().__init__(message, 401)


class Unauthorized(PortalError):
    status = 401


def portal_time(response: requests.Response) -> float | None:
    """The portal's clock from the answer's ``Date`` header (None when it has none)."""
    value = response.headers.get("Date")
    if not value:
        return None
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if moment.tzinfo is None:
        return None
    return moment.timestamp()


def describe_offset(offset: float) -> str:
    """ "412 s behind the portal", "3 s ahead of the portal", "in step with the portal"."""
    seconds = round(abs(offset))
    if seconds < 1:
        return "in step with the portal"
    return f"{seconds} s {'behind' if offset > 0 else 'ahead of'} the portal"


class Refused(PortalError):
    def __init__(self, status: int, error: str, detail: str):
        self.status, self.error, self.detail = status, error, detail
        super().__init__(f"the portal refused the request ({status} {error}): {detail}")


class BadPortalUrl(ValueError):
    pass


def is_loopback(host: str) -> bool:
    host = host.strip("[]").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def portal_base(url: str) -> str:
    """The portal's base URL, checked: https, or http only for a loopback address."""
    url = (url or "").strip()
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError as exc:
        raise BadPortalUrl(f"not a valid portal URL: {url!r} ({exc})") from exc
    if parts.scheme not in ("https", "http") or not host:
        raise BadPortalUrl(f"not a valid portal URL: {url!r} (expected https://portal.example.com/)")
    if parts.scheme == "http" and not is_loopback(host):
        raise BadPortalUrl(
            f"refusing plain http:// to {host}: the portal must be reached over https:// "
            "(http:// is accepted only for a loopback address such as 127.0.0.1 or localhost)"
        )
    if parts.query or parts.fragment:
        raise BadPortalUrl(f"not a valid portal URL: {url!r} (no query or fragment)")
    return f"{parts.scheme}://{parts.netloc}{parts.path.rstrip('/')}"


def _reason(exc: BaseException) -> str:
    text = str(exc)
    for marker in ("certificate verify failed: ", "] "):
        if marker in text:
            text = text.split(marker, 1)[1]
    return text.split("(_ssl.c")[0].strip(" :')\"") or type(exc).__name__


def _answer_json(response: requests.Response) -> dict:
    try:
        data = response.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


@dataclass
class Answer:
    status: int
    data: dict


class Portal:
    """One portal, as seen by one collector (``uid`` and ``key`` are None before enrollment)."""

    def __init__(
        self,
        base: str,
        *,
        uid: str | None = None,
        key=None,
        ca_bundle: str = "",
        timeout: float = 30.0,
        clock_offset: float = 0.0,
    ):
        self.base = portal_base(base)
        self.uid, self.key = uid, key
        # The portal's time minus this machine's (seconds); what signing and ``now()`` add.
        self.clock_offset = float(clock_offset or 0.0)
        self.clock_measured = False  # measured on an answer of this run (not only remembered)
        self._warned_offset: float | None = None
        self._clock_lock = threading.Lock()
        self.verify: str | bool = ca_bundle or True
        self.timeout = timeout
        self._local = threading.local()
        parts = urlsplit(self.base)
        self.where = parts.netloc

    def _session(self) -> requests.Session:
        session = getattr(self._local, "session", None)
        if session is None:
            session = requests.Session()  # proxies from HTTPS_PROXY / NO_PROXY
            session.headers["User-Agent"] = USER_AGENT
            self._local.session = session
        return session

    def url(self, path: str) -> str:
        return f"{self.base}{protocol.PREFIX}{path}"

    def now(self) -> float:
        """The time on the portal's clock, as far as this collector knows it. The Date header
        has whole seconds, so an offset under ``CLOCK_RESOLUTION`` cannot be told from a clock
        in step: the local clock is used as it is (a poll is never dated after it ended)."""
        offset = self.clock_offset
        return time.time() + (offset if abs(offset) >= CLOCK_RESOLUTION else 0.0)

    def _measure(self, response: requests.Response, sent: float, received: float, *, force: bool) -> None:
        """Correct the offset from the answer's Date (whole seconds: +0.5 s on average;
        the local moment is the middle of the exchange)."""
        moment = portal_time(response)
        if moment is None:
            return
        measured = moment + 0.5 - (sent + received) / 2
        with self._clock_lock:
            if force or not self.clock_measured or abs(measured - self.clock_offset) > SKEW_JUMP:
                self.clock_offset = measured
            else:
                self.clock_offset = 0.8 * self.clock_offset + 0.2 * measured
            self.clock_measured = True
            offset = self.clock_offset
            said = self._warned_offset
            if abs(offset) > SKEW_WARNING and (said is None or abs(offset - said) > SKEW_WARNING):
                self._warned_offset = offset
                warn = True
            else:
                warn = False
                if abs(offset) <= SKEW_WARNING:
                    self._warned_offset = None
        if warn:
            logger.warning(
                "This machine's clock is %s (offset %+.0f s): requests and results are dated by the "
                "portal's clock; set the time right (NTP) to silence this",
                describe_offset(offset),
                offset,
            )

    def request(
        self, method: str, path: str, payload: dict | None = None, *, body: bytes | None = None
    ) -> Answer:
        if body is None:
            body = b"" if payload is None else json.dumps(payload, separators=(",", ":")).encode("utf-8")
        response, data = self._exchange(method, path, body)
        if response.status_code == 401 and data.get("error") == "clock_skew" and self.key is not None:
            # The offset was corrected from that answer: once more, with a new nonce.
            logger.info("The portal found this request's time off (%s): sending it again", data.get("detail"))
            response, data = self._exchange(method, path, body)
            if response.status_code == 401 and data.get("error") == "clock_skew":
                known = (
                    f"this machine is {describe_offset(self.clock_offset)}"
                    if portal_time(response) is not None
                    else "the portal's answer gives no Date to correct it from"
                )
                raise ClockSkew(
                    "the portal refused the request's time even after correcting the clock "
                    f"({data.get('detail') or 'clock skew'}; {known}): "
                    "set this machine's clock right (NTP); trying again later"
                )
        return self._answer(response, data)

    def _exchange(self, method: str, path: str, body: bytes) -> tuple[requests.Response, dict]:
        url = self.url(path)
        headers = {"Accept": "application/json"}
        if body or method != "GET":
            headers["Content-Type"] = "application/json"
        if self.key is not None:
            parts = urlsplit(url)
            signed_path = parts.path + (f"?{parts.query}" if parts.query else "")
            headers.update(
                protocol.sign_headers(self.key, self.uid, method, signed_path, body, now=self.now())
            )
        sent = time.time()
        try:
            response = self._session().request(
                method,
                url,
                data=body,
                headers=headers,
                timeout=self.timeout,
                verify=self.verify,
                allow_redirects=False,
            )
        except requests.exceptions.SSLError as exc:
            reason = _reason(exc)
            hint = (
                "reach the portal by a name its certificate carries"
                if "mismatch" in reason or "doesn't match" in reason
                else "if the portal's certificate comes from a private CA, give its CA certificate "
                "with --ca-bundle FILE or FMP_COLLECTOR_CA_BUNDLE"
            )
            raise CertificateRefused(f"certificate not trusted: {reason.rstrip('.')} ({hint})") from exc
        except requests.exceptions.ProxyError as exc:
            raise Unreachable(f"portal unreachable through the proxy: {_reason(exc)}") from exc
        except requests.exceptions.Timeout as exc:
            raise Unreachable(f"portal unreachable: no answer within {self.timeout:g} s") from exc
        except requests.exceptions.ConnectionError as exc:
            raise Unreachable(f"portal unreachable: cannot connect to {self.where}: {_reason(exc)}") from exc
        except (requests.exceptions.RequestException, OSError, ValueError) as exc:
            raise Unreachable(f"portal unreachable: {type(exc).__name__}: {exc}") from exc
        data = _answer_json(response)
        self._measure(
            response,
            sent,
            time.time(),
            force=response.status_code == 401 and data.get("error") == "clock_skew",
        )
        return response, data

    def _answer(self, response: requests.Response, data: dict) -> Answer:
        status = response.status_code
        if status == 401:
            raise Unauthorized(
                "the portal refused this collector's credential "
                f"({data.get('detail') or data.get('error') or 'unauthorized'}): it may have been revoked; "
                "ask the help desk for a new enrollment code"
            )
        if 300 <= status < 400:
            raise Unreachable(
                f"the portal answered a redirect ({status}) to {response.headers.get('Location', '?')}: "
                "check the portal URL",
                status,
            )
        if status >= 500 or status in (408, 429):
            raise Unreachable(f"the portal is unavailable ({status}): try again later", status)
        if status >= 400:
            raise Refused(
                status, str(data.get("error") or "refused"), str(data.get("detail") or response.reason or "")
            )
        if not data and response.content:
            raise Unreachable(
                f"the portal's answer is not JSON ({status}): is {self.base} the FMP portal?", status
            )
        return Answer(status, data)
