"""What the provider shares with its customers: documents and external links."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.functional import LazyObject
from django.utils.translation import gettext_lazy as _

from accounts.models import Account
from accounts.tenancy import visible_account_ids


class AudienceQuerySet(models.QuerySet):
    def for_user(self, user):
        """Rows shown to ``user``: those for every account, and those for one of theirs."""
        ids = visible_account_ids(user)
        if ids is None:
            return self
        if not ids:
            return self.none()
        return self.filter(Q(all_accounts=True) | Q(accounts__in=ids)).distinct()


class ExternalLink(models.Model):
    """A quick link on the home page, managed by the help desk."""

    title = models.CharField(_("title"), max_length=200)
    url = models.URLField(_("URL"), max_length=500)
    order = models.PositiveIntegerField(_("order"), default=0)
    all_accounts = models.BooleanField(
        _("visible to every account"),
        default=True,
        help_text=_("Untick to show the link only to the accounts chosen below."),
    )
    accounts = models.ManyToManyField(
        Account, verbose_name=_("accounts"), blank=True, related_name="external_links"
    )

    objects = AudienceQuerySet.as_manager()

    class Meta:
        verbose_name = _("external link")
        verbose_name_plural = _("external links")
        ordering = ["order", "title"]

    def __str__(self) -> str:
        return self.title


class _NoUrlStorage(FileSystemStorage):
    def url(self, name):
        raise ValueError("Shared documents have no public URL: use the download view.")


class PrivateStorage(LazyObject):
    """Documents live outside any public URL: only the download view serves them."""

    def _setup(self):
        self._wrapped = _NoUrlStorage(location=settings.FMP_DOCUMENTS_ROOT)


private_storage = PrivateStorage()


def get_private_storage():
    """Callable storage: migrations record this function, not a path of this machine."""
    return private_storage


def document_path(instance, filename: str) -> str:
    # A random name: nothing in the path can be guessed from the title or the original name.
    suffix = "." + filename.rsplit(".", 1)[-1].lower()[:8] if "." in filename else ""
    return f"documents/{timezone.now():%Y/%m}/{uuid.uuid4().hex}{suffix}"


class DocumentQuerySet(AudienceQuerySet):
    def published(self):
        now = timezone.now()
        return self.filter(published_at__lte=now).filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))


class Document(models.Model):
    """A document the help desk shares with every account or with chosen ones."""

    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    category = models.CharField(_("category"), max_length=100, blank=True)
    file = models.FileField(_("file"), upload_to=document_path, storage=get_private_storage, max_length=300)
    original_name = models.CharField(_("file name"), max_length=255, blank=True)
    content_type = models.CharField(_("content type"), max_length=100, blank=True)
    size = models.PositiveBigIntegerField(_("size"), default=0)
    all_accounts = models.BooleanField(_("visible to every account"), default=False)
    accounts = models.ManyToManyField(
        Account, verbose_name=_("accounts"), blank=True, related_name="documents"
    )
    published_at = models.DateTimeField(_("publication date"), default=timezone.now)
    expires_at = models.DateTimeField(_("expiry date"), null=True, blank=True)
    created_at = models.DateTimeField(_("uploaded"), auto_now_add=True)

    objects = DocumentQuerySet.as_manager()

    class Meta:
        verbose_name = _("document")
        verbose_name_plural = _("documents")
        ordering = ["-published_at", "-pk"]

    def __str__(self) -> str:
        return self.title
