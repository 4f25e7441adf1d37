"""What the provider shares with its customers: external links (documents come later)."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.models import Account
from accounts.tenancy import visible_account_ids


class ExternalLinkQuerySet(models.QuerySet):
    def for_user(self, user):
        """Links shown to ``user``: those for every account, and those for one of theirs."""
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

    objects = ExternalLinkQuerySet.as_manager()

    class Meta:
        verbose_name = _("external link")
        verbose_name_plural = _("external links")
        ordering = ["order", "title"]

    def __str__(self) -> str:
        return self.title
