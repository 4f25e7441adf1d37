"""Where a ``next`` parameter may send the browser: a path of this site, nothing else."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.utils.http import url_has_allowed_host_and_scheme

MAX_NEXT_LENGTH = 2048


def is_local_path(target) -> bool:
    """True for an absolute path of this site ("/printers/?page=2").

    Refused: other sites ("https://evil.example", "//evil.example", "/\\\\evil.example"),
    schemes ("javascript:..."), relative names ("floor2", which ``redirect()`` would try to
    reverse as a view name), whitespace and control characters (browsers drop them, turning
    "/\\t/evil.example" into "//evil.example"), and very long values."""
    if not isinstance(target, str) or not target or len(target) > MAX_NEXT_LENGTH:
        return False
    if not target.startswith("/") or target.startswith(("//", "/\\")):
        return False
    if any(ch.isspace() or not ch.isprintable() for ch in target):
        return False
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return False
    return url_has_allowed_host_and_scheme(target, allowed_hosts=None)
