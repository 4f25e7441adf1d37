"""CSV exports that spreadsheets open safely, in the reader's language.

Every export goes through ``csv_response``: UTF-8 with a byte-order mark (so that Excel
reads the accents), cells that are never formulas (``safe_cell``), and the separators a
spreadsheet of the user's language expects: for French, semicolon-separated columns and a
decimal comma (a French Excel or LibreOffice splits "1,5" into two columns otherwise);
for English, commas and a decimal point (``CSV_DELIMITER`` in ``fmp/formats``). Dates and
times are written "2026-11-30 14:05" in the configured time zone, which both read as a date.
"""

from __future__ import annotations

import csv
import datetime
from collections.abc import Iterable
from decimal import Decimal

from django.http import StreamingHttpResponse
from django.utils import formats, timezone, translation

from fmp.l10n import locale_format

_FORMULA_START = ("=", "@")
_SIGN_START = ("+", "-")  # a formula only when something follows: a lone "-" is a placeholder


def safe_cell(value, decimal_separator: str = ".") -> str:
    """Text as a spreadsheet shows it, never as a formula (CSV injection).

    Control and invisible characters (NUL, CR, LF, zero-width spaces...) are dropped, and a
    text that starts with a formula character, also after spaces or a tab (spreadsheets
    skip them: " =1+1" is a formula), gets a leading apostrophe. Numbers are never grouped;
    a fraction uses ``decimal_separator``."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float | Decimal):
        return format(value, "f" if isinstance(value, Decimal) else "").replace(".", decimal_separator)
    if isinstance(value, datetime.datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value)
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, datetime.date):
        return value.isoformat()
    text = str(value)
    text = "".join(ch for ch in text if ch in "\t" or ch.isprintable())
    head = text.lstrip()
    if (
        text[:1] == "\t"
        or head.startswith(_FORMULA_START)
        or (len(head) > 1 and head.startswith(_SIGN_START))
    ):
        return "'" + text
    return text


class _Echo:
    def write(self, value):
        return value


def csv_response(filename: str, header: list[str], rows: Iterable[Iterable]) -> StreamingHttpResponse:
    """A streamed CSV download in the active language's dialect (see the module's docstring).

    The rows are read while the response streams, after the view has returned: they are
    written in the language that was active when the view called this."""
    language = translation.get_language()
    delimiter = locale_format("CSV_DELIMITER", ",")
    decimal_separator = formats.get_format("DECIMAL_SEPARATOR")
    writer = csv.writer(_Echo(), delimiter=delimiter)

    def line(cells):
        return writer.writerow([safe_cell(cell, decimal_separator) for cell in cells])

    def stream():
        with translation.override(language):
            yield "\ufeff"  # so that spreadsheet programs read UTF-8
            yield line(header)
            for row in rows:
                yield line(row)

    response = StreamingHttpResponse(stream(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
