"""The collector endpoints (``/collector/v1/``, see ``fmp_collector/PROTOCOL.md``).

JSON in, JSON out; no session, cookie or CSRF token: every request but enrollment is
authenticated by the collector's signature (``collectors.auth``). Errors are
``{"error": code, "detail": reason}`` with a 4xx status, never a redirect or a page.
"""

from __future__ import annotations

import functools
import json

from django.http import JsonResponse
from django.utils.http import http_date
from django.views.decorators.csrf import csrf_exempt

from collectors import services
from collectors.auth import collector_from_request, request_address
from collectors.services import CollectorRefused
from collectors.tasks import batch_store_queue
from fmp.ids import MAX_ID
from fmp_collector import protocol


def error(status: int, code: str, detail: str) -> JsonResponse:
    return JsonResponse({"error": code, "detail": detail}, status=status)


def _body(request) -> bytes:
    length = request.META.get("CONTENT_LENGTH") or "0"
    if not length.isdigit():
        raise CollectorRefused(400, "invalid", "bad Content-Length")
    if int(length) > protocol.MAX_BODY:
        raise CollectorRefused(413, "too_large", f"the body is larger than {protocol.MAX_BODY} bytes")
    body = request.read(protocol.MAX_BODY + 1)
    if len(body) > protocol.MAX_BODY:
        raise CollectorRefused(413, "too_large", f"the body is larger than {protocol.MAX_BODY} bytes")
    return body


def _json(body: bytes):
    """The body's JSON value. Text that cannot be stored is refused here, for every
    endpoint: a lone surrogate (``"\\ud800"``) is valid JSON but not valid Unicode, and
    PostgreSQL refuses it (a 500 instead of a clear answer)."""
    try:
        data = json.loads(body.decode("utf-8"), parse_constant=_no_constant)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise CollectorRefused(
            400, "invalid", f"the body is not valid JSON ({exc.__class__.__name__})"
        ) from exc
    try:
        json.dumps(data, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError as exc:
        raise CollectorRefused(400, "invalid", "text that is not valid Unicode") from exc
    return data


def _no_constant(name: str):
    raise ValueError(f"{name} is not allowed")


def endpoint(method: str, *, signed: bool = True):
    """One collector endpoint: its method, the body's size, the signature, JSON errors."""

    def decorate(view):
        def answer(request, **kwargs):
            if any(not 0 < value <= MAX_ID for value in kwargs.values()):
                return error(404, "not_found", "no such object")  # beyond any database id
            if request.method != method:
                response = error(405, "method_not_allowed", f"use {method}")
                response["Allow"] = method
                return response
            try:
                body = _body(request)
                collector = collector_from_request(request, body) if signed else None
                data = _json(body) if method == "POST" else None
                return view(request, collector, data, **kwargs)
            except CollectorRefused as refused:
                return error(refused.status, refused.code, refused.detail)

        @csrf_exempt
        @functools.wraps(view)
        def wrapper(request, **kwargs):
            return _dated(answer(request, **kwargs))

        return wrapper

    return decorate


def _dated(response):
    """Every answer carries the portal's time (``Date``): a collector whose clock is off
    corrects its offset from it (gunicorn and runserver add one; Django's test client and
    other servers may not)."""
    if not response.has_header("Date"):
        response["Date"] = http_date()
    return response


@endpoint("POST", signed=False)
def enroll(request, _collector, data):
    if not isinstance(data, dict):
        raise CollectorRefused(400, "invalid", "an object is expected")
    fields = {"code": 64, "public_key": 64, "hostname": 255, "version": 50}
    for name, limit in fields.items():
        value = data.get(name, "" if name in ("hostname", "version") else None)
        if not isinstance(value, str) or len(value) > limit or "\x00" in value:
            raise CollectorRefused(
                400, "invalid", f"{name}: a string of at most {limit} characters is expected"
            )
    collector = services.collector_enroll(
        code=data["code"],
        public_key=data["public_key"],
        hostname=data.get("hostname", ""),
        version=data.get("version", ""),
        address=request_address(request),
    )
    return JsonResponse(
        {
            "collector": str(collector.uid),
            "name": collector.name,
            "account": str(collector.account),
            "site": str(collector.site) if collector.site_id else None,
        },
        status=201,
    )


@endpoint("GET")
def config(request, collector, _data):
    return JsonResponse(services.collector_config(collector=collector))


@endpoint("GET")
def commands(request, collector, _data):
    taken = services.collector_commands_take(collector=collector)
    return JsonResponse(
        {
            "commands": [services.command_wire(c) for c in taken],
            "config_version": services.collector_config_version(collector=collector),
        }
    )


@endpoint("POST")
def command_complete(request, collector, data, command_id: int):
    services.collector_command_complete(collector=collector, command_id=command_id, body=data)
    return JsonResponse({"ok": True})


@endpoint("POST")
def results(request, collector, data):
    status, answer = services.collector_batch_accept(
        collector=collector, body=data, enqueue=batch_store_queue
    )
    return JsonResponse(answer, status=status)


@endpoint("POST")
def heartbeat(request, collector, data):
    services.collector_heartbeat(collector=collector, data=data)
    return JsonResponse(
        {"ok": True, "config_version": services.collector_config_version(collector=collector)}
    )


@csrf_exempt
def not_found(request):
    return _dated(error(404, "not_found", "no such collector endpoint (see fmp_collector/PROTOCOL.md)"))
