from __future__ import annotations

from django.contrib.auth.mixins import LoginRequiredMixin
from django.db.models import Q
from django.http import FileResponse, Http404
from django.views import View
from django.views.generic import ListView

from documents.models import Document
from fmp.paging import ForgivingPaginationMixin


class DocumentListView(LoginRequiredMixin, ForgivingPaginationMixin, ListView):
    """The documents the user's account may see, newest first, with search and category filter."""

    template_name = "documents/document_list.html"
    paginate_by = 25
    context_object_name = "documents"

    def base(self):
        return Document.objects.for_user(self.request.user).published()

    def get_queryset(self):
        qs = self.base()
        q = self.request.GET.get("q", "").strip()[:100]
        if q:
            qs = qs.filter(Q(title__icontains=q) | Q(description__icontains=q))
        category = self.request.GET.get("category", "").strip()[:100]
        if category:
            qs = qs.filter(category=category)
        return qs

    def get_context_data(self, **kwargs):
        categories = list(
            self.base()
            .exclude(category="")
            .order_by("category")
            .values_list("category", flat=True)
            .distinct()
        )
        return super().get_context_data(
            categories=categories,
            q=self.request.GET.get("q", ""),
            category=self.request.GET.get("category", ""),
            **kwargs,
        )


class DocumentDownloadView(LoginRequiredMixin, View):
    """Serves a document after checking its audience, on every request (404 for others).
    The help desk also gets documents not yet published or expired (the admin links them)."""

    def get(self, request, pk):
        documents = Document.objects.for_user(request.user)
        if not request.user.is_staff:
            documents = documents.published()
        document = documents.filter(pk=pk).first()
        if document is None or not document.file:
            raise Http404
        try:
            handle = document.file.open("rb")
        except FileNotFoundError as exc:
            raise Http404 from exc
        name = document.original_name or document.file.name.rsplit("/", 1)[-1]
        response = FileResponse(
            handle, as_attachment=True, filename=name, content_type=document.content_type or None
        )
        response["X-Content-Type-Options"] = "nosniff"
        response["Cache-Control"] = "private, no-store"
        return response
