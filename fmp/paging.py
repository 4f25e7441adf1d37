"""Paging, in one place: the page sizes offered, and forgiving page numbers.

The grids page through django-tables2 (``fmp.tables.BaseTable``), the plain lists through
``ForgivingPaginationMixin``; both take the size of a page from ``page_size``."""

from __future__ import annotations

PAGE_SIZES = (25, 50, 100)


def page_size(requested, default: int) -> int:
    """The page size to use for a ``per_page`` value from the URL: one of ``PAGE_SIZES``.

    Nothing, zero, a negative or a non-number gives ``default``; any other number the
    nearest offered size at or below it (at least the smallest), so that no URL puts the
    whole fleet on one page."""
    try:
        wanted = int(str(requested).strip()) if requested is not None else 0
    except ValueError:
        return default
    if wanted <= 0:
        return default
    fitting = [size for size in PAGE_SIZES if size <= wanted]
    return fitting[-1] if fitting else PAGE_SIZES[0]


class ForgivingPaginationMixin:
    """A page number out of range or not a number shows the nearest page instead of an error
    (bookmarks outlive the rows they paged); ``per_page`` picks one of the offered sizes."""

    def get_paginate_by(self, queryset):
        if self.paginate_by is None:
            return None
        return page_size(self.request.GET.get("per_page"), self.paginate_by)

    def paginate_queryset(self, queryset, page_size):
        paginator = self.get_paginator(queryset, page_size, allow_empty_first_page=True)
        page = paginator.get_page(self.request.GET.get(self.page_kwarg))
        return paginator, page, page.object_list, page.has_other_pages()
