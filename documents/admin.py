from django.contrib import admin

from documents.models import ExternalLink


@admin.register(ExternalLink)
class ExternalLinkAdmin(admin.ModelAdmin):
    list_display = ["title", "url", "order", "all_accounts"]
    list_editable = ["order"]
    list_filter = ["all_accounts", "accounts"]
    search_fields = ["title", "url"]
    filter_horizontal = ["accounts"]
