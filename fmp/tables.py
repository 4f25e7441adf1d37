"""Base class of every grid: Bootstrap 5 look, translated empty text, known sort columns only."""

from __future__ import annotations

import django_tables2 as tables
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _
from django_tables2.data import TableQuerysetData

from fmp.paging import page_size

# Columns a narrow screen hides (Bootstrap's display classes, on both th and td): a phone
# keeps the few columns that identify a row; every column shows from 1200 px (laptops).
FROM_SM = "d-none d-sm-table-cell"
FROM_MD = "d-none d-md-table-cell"
FROM_LG = "d-none d-lg-table-cell"
FROM_XL = "d-none d-xl-table-cell"


def truncated(text, *, testid: str = "", focusable: bool = True):
    """A long cell text cut with an ellipsis to the column's width (``.fmp-truncate``); the
    whole text shows on hover (title, then a Bootstrap tooltip) and, when ``focusable``, on
    keyboard focus too (the main texts of a row: not every cell is a tab stop)."""
    return format_html(
        '<span class="fmp-truncate"{} data-bs-toggle="tooltip" title="{}"{}>{}</span>',
        mark_safe(' tabindex="0"') if focusable else "",
        text,
        format_html(' data-testid="{}"', testid) if testid else "",
        text,
    )


def active_filter_count(filterset, data) -> int:
    """How many of a list's filters the URL sets (the Filter button shows it on screens where
    the filters are folded away); a value equal to the filter's default does not count."""
    count = 0
    for name in filterset.filters:
        values = [v for v in data.getlist(name) if v]
        field = filterset.form.fields.get(name)
        default = str(field.initial or "") if field is not None else ""
        if values and values != [default]:
            count += 1
    return count


class BaseTable(tables.Table):
    class Meta:
        template_name = "django_tables2/bootstrap5-responsive.html"
        attrs = {"class": "table table-sm table-hover align-middle mb-0 fmp-table"}
        empty_text = _("Nothing matches these filters.")
        per_page = 50

    def paginate(self, *args, per_page=None, **kwargs):
        """``per_page`` from the URL (or the view) as one of the offered sizes
        (``fmp.paging.page_size``): never zero, negative or the whole fleet."""
        return super().paginate(*args, per_page=page_size(per_page, self._meta.per_page), **kwargs)


class PageFirstQuerysetData(TableQuerysetData):
    """Table data that reads a page in two steps: the page's primary keys with only what the
    filters and the ordering need, then the rows of that page with every join and annotation.

    Ordering 10,000 devices by a computed state carried every selected column and
    per-row subquery through the sort (30 ms); ordering bare keys takes a quarter of that,
    and the wide query then runs for 50 rows only.
    """

    def __getitem__(self, key):
        if not isinstance(key, slice):
            return super().__getitem__(key)
        ids = list(self.data.values_list("pk", flat=True)[key])
        rows = {row.pk: row for row in self.data.order_by().filter(pk__in=ids)}
        return [rows[pk] for pk in ids if pk in rows]
