"""Requests refused before any view runs: nothing is stored, nothing fails half-way."""

from __future__ import annotations

from django.http import HttpResponseBadRequest, HttpResponseRedirect
from django.template.loader import render_to_string
from django.utils.encoding import escape_uri_path
from django.utils.translation import gettext as _

from fmp.redirects import is_local_path

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
COLLECTOR_PREFIX = "/collector/v1/"  # fmp_collector.protocol.PREFIX (no import of it here)


def _has_nul(querydict) -> bool:
    return any("\x00" in key or any("\x00" in v for v in values) for key, values in querydict.lists())


class RequestGuardMiddleware:
    """Two kinds of input no page can use, refused in one place for every view:

    - a NUL character in the path or a parameter (PostgreSQL cannot store or compare it:
      every query using it would be a server error): 400;
    - a ``next`` parameter that is not a path of this site (``floor2``, ``//evil.example``,
      ``javascript:...``). A page opened with one is opened again without it, so that its
      forms never carry it; a form submitted with one is refused with a 400 before the view
      stores anything (no write followed by a failed redirect).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path.startswith(COLLECTOR_PREFIX):
            # Machine endpoints: JSON answers only (collectors.views checks its own input).
            return self.get_response(request)
        if "\x00" in request.path or _has_nul(request.GET):
            return self.refuse(request, _("The address contains a character that is not allowed."))
        safe = request.method in SAFE_METHODS
        if not safe and request.content_type in FORM_TYPES and _has_nul(request.POST):
            return self.refuse(request, _("The form contains a character that is not allowed."))
        targets = [v for v in request.GET.getlist("next") if v]
        if not safe:
            targets += [v for v in request.POST.getlist("next") if v]
        if any(not is_local_path(target) for target in targets):
            if safe:
                query = request.GET.copy()
                query.pop("next")
                # "/" + the escaped path without its leading slashes: never "//host" or "/\\host".
                path = "/" + escape_uri_path(request.path).lstrip("/")
                return HttpResponseRedirect(path + (f"?{query.urlencode()}" if query else ""))
            return self.refuse(
                request,
                _("The page to return to afterwards is not an address of this portal: nothing was saved."),
            )
        return self.get_response(request)

    @staticmethod
    def refuse(request, reason: str):
        return HttpResponseBadRequest(
            render_to_string("bad_request.html", {"reason": reason}, request=request)
        )
