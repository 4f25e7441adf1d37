"""Base class of every grid: Bootstrap 5 look, translated empty text, known sort columns only."""

from __future__ import annotations

import django_tables2 as tables
from django.utils.translation import gettext_lazy as _


class BaseTable(tables.Table):
    class Meta:
        template_name = "django_tables2/bootstrap5-responsive.html"
        attrs = {"class": "table table-sm table-hover align-middle mb-0 fmp-table"}
        empty_text = _("Nothing matches these filters.")
        per_page = 50
