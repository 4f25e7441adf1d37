"""Texts the portal writes itself, stored as a code with parameters and worded when read.

An automatic ticket's summary, the reason of a proactive order, a note on a ticket, the
outcome of a command: the portal writes them once, but each reader (and each e-mail
recipient) reads them in their own language. So they are stored as a *code* with named
*parameters* (``{"code": "tickets.automatic.summary", "params": {"condition": "noPaper"}}``)
in a JSON field beside the text field, and rendered at display time in the active language.
Text typed by people (a comment, a summary of a request) is stored as typed, with no code.

Each app declares its codes in its own ``texts.py`` (``register(code, template)``); the
template is a ``gettext_lazy`` string with named placeholders, an ``ngettext_lazy`` one whose
number is a named parameter, or a function of the parameters for what needs composing.
Event keys (``supplies.order.placed``) are codes too: their label is what the admin shows.

Parameters are JSON: strings and numbers as they are; a datetime is stored as
``{"at": ISO}`` and shown in the reader's locale and the configured time zone; a nested
text (``Text``) as ``{"code", "params"}`` and rendered in the same language.

To store a generated text in a model::

    Ticket.objects.create(..., **text_fields("summary", Text("tickets.automatic.summary", condition="noPaper")))

which fills ``summary`` (the text in the site's language: searches, and the fallback) and
``summary_code`` (the code and parameters); ``StoredText("summary")`` on the model gives
``ticket.summary_shown`` in the reader's language (the typed text where there is no code).
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from django.conf import settings
from django.utils import formats, timezone, translation
from django.utils.functional import Promise

_REGISTRY: dict[str, Any] = {}
_discovered = False


def register(code: str, template) -> None:
    """Declare a code: a (lazy) template with named placeholders, or ``function(params) -> str``."""
    _REGISTRY[code] = template


def registered(code: str) -> bool:
    _discover()
    return code in _REGISTRY


def _discover() -> None:
    """Import every installed app's ``texts`` module once (they register their codes)."""
    global _discovered
    if not _discovered:
        from django.utils.module_loading import autodiscover_modules

        autodiscover_modules("texts")
        _discovered = True


class Text:
    """A generated text: a code and its parameters; ``str()`` words it in the active language."""

    def __init__(self, code: str, **params) -> None:
        self.code = code
        self.params = {name: _encode(value) for name, value in params.items()}

    def as_json(self) -> dict:
        return {"code": self.code, "params": self.params}

    def __str__(self) -> str:
        return text_render(self.as_json())

    def __repr__(self) -> str:
        return f"Text({self.code!r}, {self.params!r})"

    def __eq__(self, other) -> bool:
        return isinstance(other, Text) and self.as_json() == other.as_json()


def _encode(value):
    if isinstance(value, Text):
        return value.as_json()
    if isinstance(value, datetime):
        return {"at": value.isoformat()}
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def local_datetime(moment: datetime | None) -> str:
    """A moment in the configured time zone, in the active language's short format
    (titles of admin rows, texts): never UTC, never a fixed strftime pattern."""
    if moment is None:
        return ""
    if timezone.is_aware(moment):
        moment = timezone.localtime(moment)
    return formats.date_format(moment, "SHORT_DATETIME_FORMAT")


def local_date(moment: datetime | None) -> str:
    """The day of a moment in the configured time zone, in the active language's format."""
    if moment is None:
        return ""
    if timezone.is_aware(moment):
        moment = timezone.localtime(moment)
    return formats.date_format(moment, "SHORT_DATE_FORMAT")


def _decode(value):
    if isinstance(value, dict) and "code" in value:
        return text_render(value)
    if isinstance(value, dict) and "at" in value:
        return local_datetime(datetime.fromisoformat(value["at"]))
    return value


class _Params(dict):
    """A missing parameter reads as "?" rather than breaking the page."""

    def __missing__(self, key):
        return "?"


def text_render(data: dict | None, fallback: str = "") -> str:
    """Word a stored ``{"code", "params"}`` in the active language; ``fallback`` (the text as
    it was stored) when there is none or the code is unknown (a row from before its code)."""
    if not data or not isinstance(data, dict):
        return fallback
    _discover()
    template = _REGISTRY.get(data.get("code"))
    if template is None:
        return fallback or str(data.get("code", ""))
    params = _Params({name: _decode(value) for name, value in (data.get("params") or {}).items()})
    if not isinstance(template, Promise | str):
        return str(template(params))
    try:
        # Applied to the lazy template itself: an ngettext_lazy one picks its plural form.
        return str(template % params)
    except (KeyError, TypeError, ValueError):
        return str(template)


def text_fields(field: str, text: Text | str, *, max_length: int | None = None) -> dict:
    """The model fields that store ``text`` as ``field``: the code and parameters in
    ``<field>_code``, and ``field`` itself worded in the site's language (what searches
    find, and what shows if the code is ever unknown). A plain string is typed text: no code."""
    if not isinstance(text, Text):
        return {field: text, f"{field}_code": None}
    with translation.override(settings.LANGUAGE_CODE):
        worded = str(text)
    return {field: worded[:max_length] if max_length else worded, f"{field}_code": text.as_json()}


def text_set(obj, field: str, text: Text | str, *, max_length: int | None = None) -> list[str]:
    """Set ``text`` as ``field`` of a model instance (as ``text_fields``); returns the two
    field names, for ``save(update_fields=...)``."""
    values = text_fields(field, text, max_length=max_length)
    for name, value in values.items():
        setattr(obj, name, value)
    return list(values)


class StoredText:
    """Model attribute: ``field`` in the reader's language (``ticket.summary_shown``).

    Renders ``<field>_code`` when the portal wrote the text, else gives the text as typed."""

    def __init__(self, field: str) -> None:
        self.field = field

    def __set_name__(self, owner, name) -> None:
        self.name = name

    def __get__(self, obj, owner=None):
        if obj is None:
            return self
        return text_render(getattr(obj, f"{self.field}_code", None), getattr(obj, self.field) or "")


def event_label(key: str) -> str:
    """The translated label of an event key (``supplies.order.placed`` → "Order placed");
    the key itself when it has none."""
    return text_render({"code": key, "params": {}}, key)


def event_detail(key: str, data: dict | None) -> str:
    """What an event says beyond its label, from its data (``<key>.detail``), or ""."""
    detail = f"{key}.detail"
    if not registered(detail):
        return ""
    return text_render({"code": detail, "params": data or {}})


# --- reading old rows back (data migrations) -------------------------------------------------

_PLACEHOLDER = re.compile(r"%\((\w+)\)([sd])|%%")


def template_pattern(template: str) -> re.Pattern:
    """A regular expression matching what ``template % params`` gives, one named group per
    placeholder (``%(days)d`` matches digits only)."""
    parts, seen, end = [], set(), 0
    for match in _PLACEHOLDER.finditer(template):
        parts.append(re.escape(template[end : match.start()]))
        name, kind = match.group(1), match.group(2)
        if name is None:
            parts.append("%")
        elif name in seen:
            parts.append(f"(?P={name})")
        else:
            parts.append(f"(?P<{name}>\\d+)" if kind == "d" else f"(?P<{name}>.+?)")
            seen.add(name)
        end = match.end()
    parts.append(re.escape(template[end:]))
    return re.compile("".join(parts))


def text_parse(template: str, text: str) -> dict | None:
    """The parameters that make ``template`` (a msgid, or its translation) give ``text``
    exactly; None when it does not. Numbers come back as int."""
    match = template_pattern(template).fullmatch(text or "")
    if match is None:
        return None
    return {name: int(value) if value.isdigit() else value for name, value in match.groupdict().items()}
