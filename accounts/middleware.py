"""Per-user language, and the forced password change after a temporary password."""

from __future__ import annotations

from django.conf import settings
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import translation

LANGUAGE_COOKIE = settings.LANGUAGE_COOKIE_NAME
_SUPPORTED = {code for code, _name in settings.LANGUAGES}


class UserLanguageMiddleware:
    """The user's stored language; before login the language cookie; else French.

    The browser's Accept-Language is deliberately ignored: French is the portal's default.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        language = None
        if user is not None and user.is_authenticated and user.language in _SUPPORTED:
            language = user.language
        if language is None:
            cookie = request.COOKIES.get(LANGUAGE_COOKIE)
            language = cookie if cookie in _SUPPORTED else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        return response


class ForcePasswordChangeMiddleware:
    """After a login with a temporary password, only the password change page opens."""

    ALLOWED_PREFIXES = ("/i18n/", "/healthz")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.must_change_password:
            allowed = {reverse("accounts:password_change"), reverse("accounts:logout")}
            if request.path not in allowed and not request.path.startswith(
                (settings.STATIC_URL, *self.ALLOWED_PREFIXES)
            ):
                return redirect("accounts:password_change")
        return self.get_response(request)
