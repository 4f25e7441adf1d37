"""Paging for the portal's plain lists (the grids page through django-tables2)."""

from __future__ import annotations


class ForgivingPaginationMixin:
    """A page number out of range or not a number shows the nearest page instead of an error
    (bookmarks outlive the rows they paged)."""

    def paginate_queryset(self, queryset, page_size):
        paginator = self.get_paginator(queryset, page_size, allow_empty_first_page=True)
        page = paginator.get_page(self.request.GET.get(self.page_kwarg))
        return paginator, page, page.object_list, page.has_other_pages()
