"""Talking to the portal: signed HTTPS requests (blocking; the run loop calls them in threads).

Every failure becomes a ``PortalError`` whose message is one readable line:

- ``Unreachable``: network, proxy, timeout or a 5xx (try again later);
- ``CertificateRefused``: the portal's certificate is not trusted here (give --ca-bundle);
- ``Unauthorized``: 401, the collector is revoked or not enrolled (stop);
- ``Refused``: another 4xx (do not send this again as it is), with the portal's reason.
"""

from __future__ import annotations

import ipaddress
import json
import threading
from dataclasses import dataclass
from urllib.parse import urlsplit

import requests

from fmp_collector import __version__, protocol

USER_AGENT = f"fmp-collector/{__version__}"


class PortalError(Exception):
    status: int | None = None


class Unreachable(PortalError):
    def __init__(self, message: str, status: int | None = None):
        super().__init__(message)
        self.status = status


class CertificateRefused(PortalError):
    pass


class Unauthorized(PortalError):
    status = 401


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
        self, base: str, *, uid: str | None = None, key=None, ca_bundle: str = "", timeout: float = 30.0
    ):
        self.base = portal_base(base)
        self.uid, self.key = uid, key
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

    def request(
        self, method: str, path: str, payload: dict | None = None, *, body: bytes | None = None
    ) -> Answer:
        url = self.url(path)
        if body is None:
            body = b"" if payload is None else json.dumps(payload, separators=(",", ":")).encode("utf-8")
        headers = {"Accept": "application/json"}
        if body or method != "GET":
            headers["Content-Type"] = "application/json"
        if self.key is not None:
            parts = urlsplit(url)
            signed_path = parts.path + (f"?{parts.query}" if parts.query else "")
            headers.update(protocol.sign_headers(self.key, self.uid, method, signed_path, body))
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
        status = response.status_code
        if status == 401:
            raise Unauthorized(
                "the portal refused this collector's credential (401: "
                f"{data.get('detail') or 'revoked or not enrolled'}); enroll it again with a new code"
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
