"""CSV exports that spreadsheets open safely."""

from __future__ import annotations

import csv
from collections.abc import Iterable

from django.http import StreamingHttpResponse

_FORMULA_START = ("=", "@")
_SIGN_START = ("+", "-")  # a formula only when something follows: a lone "-" is a placeholder


def safe_cell(value) -> str:
    """Text as a spreadsheet shows it, never as a formula (CSV injection).

    Control and invisible characters (NUL, CR, LF, zero-width spaces...) are dropped, and a
    text that starts with a formula character, also after spaces or a tab (spreadsheets
    skip them: " =1+1" is a formula), gets a leading apostrophe."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int | float):
        return str(value)
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
    writer = csv.writer(_Echo())

    def stream():
        yield "\ufeff"  # so that spreadsheet programs read UTF-8
        yield writer.writerow([safe_cell(h) for h in header])
        for row in rows:
            yield writer.writerow([safe_cell(cell) for cell in row])

    response = StreamingHttpResponse(stream(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
