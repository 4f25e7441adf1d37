from django import forms
from django.contrib import admin
from django.contrib.admin.widgets import AdminFileWidget
from django.core.files.uploadedfile import UploadedFile
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from documents.models import Document, ExternalLink
from documents.validators import validate_document


@admin.register(ExternalLink)
class ExternalLinkAdmin(admin.ModelAdmin):
    list_display = ["title", "url", "order", "all_accounts"]
    list_editable = ["order"]
    list_filter = ["all_accounts", "accounts"]
    search_fields = ["title", "url"]
    filter_horizontal = ["accounts"]


class ProtectedFileWidget(AdminFileWidget):
    """The stored file as its original name, linked to the protected download view: the
    private storage has no URL (asking it for one is an error by design)."""

    template_name = "documents/widgets/protected_file_input.html"

    def is_initial(self, value):
        return bool(value and getattr(value, "name", None))  # Django's asks for the URL

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        if self.is_initial(value):
            document = getattr(value, "instance", None)
            context["widget"]["file_name"] = (
                getattr(document, "original_name", "") or value.name.rsplit("/", 1)[-1]
            )
            if document is not None and document.pk:
                context["widget"]["download_url"] = reverse("documents:document_download", args=[document.pk])
        return context


class DocumentForm(forms.ModelForm):
    class Meta:
        model = Document
        fields = [
            "title",
            "description",
            "category",
            "file",
            "all_accounts",
            "accounts",
            "published_at",
            "expires_at",
        ]
        widgets = {"file": ProtectedFileWidget}

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if isinstance(upload, UploadedFile):  # a new upload (not the file already stored)
            self.content_type = validate_document(upload)
        return upload

    def clean(self):
        data = super().clean()
        if not data.get("all_accounts") and not data.get("accounts"):
            self.add_error(
                "accounts",
                _("Choose the accounts that see this document, or tick “visible to every account”."),
            )
        if data.get("expires_at") and data.get("published_at") and data["expires_at"] <= data["published_at"]:
            self.add_error("expires_at", _("The expiry date must come after the publication date."))
        return data


@admin.register(Document)
class DocumentAdmin(admin.ModelAdmin):
    form = DocumentForm
    list_display = [
        "title",
        "category",
        "all_accounts",
        "published_at",
        "expires_at",
        "original_name",
        "size",
    ]
    list_filter = ["category", "all_accounts", ("accounts", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["title", "description", "original_name"]
    filter_horizontal = ["accounts"]

    def save_model(self, request, obj, form, change):
        if "file" in form.changed_data and obj.file:
            obj.original_name = obj.file.name.rsplit("/", 1)[-1][:255]
            obj.size = obj.file.size
            obj.content_type = getattr(form, "content_type", "") or obj.content_type
        super().save_model(request, obj, form, change)
