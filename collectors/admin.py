"""The help desk's view of the site collectors: their state and health, enrollment codes,
conflicts and uploads. (Django's admin: staff only, behind the portal's second factor.)"""

from datetime import timedelta

from django import forms
from django.contrib import admin, messages
from django.db.models import Count
from django.utils.translation import gettext_lazy as _

from collectors.models import Collector, CollectorBatch, CollectorConflict
from collectors.services import collector_code_issue, collector_create, collector_revoke
from fmp.l10n import duration_words


def collector_state(collector: Collector) -> str:
    """Waiting for enrollment, active, unresponsive or revoked (translated)."""
    if collector.revoked_at is not None:
        return str(_("revoked"))
    if collector.enrolled_at is None:
        return str(_("waiting for enrollment"))
    if collector.unresponsive_since is not None:
        return str(_("unresponsive"))
    return str(_("active"))


class CollectorStateFilter(admin.SimpleListFilter):
    title = _("state")
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [
            ("waiting", _("waiting for enrollment")),
            ("active", _("active")),
            ("unresponsive", _("unresponsive")),
            ("revoked", _("revoked")),
        ]

    def queryset(self, request, queryset):
        live = queryset.filter(revoked_at__isnull=True)
        return {
            "waiting": live.filter(enrolled_at__isnull=True),
            "active": live.filter(enrolled_at__isnull=False, unresponsive_since__isnull=True),
            "unresponsive": live.filter(enrolled_at__isnull=False, unresponsive_since__isnull=False),
            "revoked": queryset.filter(revoked_at__isnull=False),
        }.get(self.value(), queryset)


class CollectorConflictInline(admin.TabularInline):
    model = CollectorConflict
    extra = 0
    can_delete = True
    fields = ["device", "reports", "first_seen_at", "last_seen_at"]
    readonly_fields = fields
    verbose_name_plural = _("Devices it reported but does not own (ignored)")

    def has_add_permission(self, request, obj=None):
        return False


class CollectorForm(forms.ModelForm):
    class Meta:
        model = Collector
        fields = ["account", "site", "name", "poll_interval"]

    def clean(self):
        data = super().clean()
        account, site = data.get("account") or getattr(self.instance, "account", None), data.get("site")
        if site is not None and account is not None and site.account_id != account.pk:
            self.add_error("site", _("Choose a site of the collector's account."))
        return data


@admin.register(Collector)
class CollectorAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "account",
        "site",
        "state",
        "last_seen_at",
        "version",
        "device_count",
        "queue_depth",
        "dropped",
        "last_error",
    ]
    list_filter = [CollectorStateFilter, "account"]
    search_fields = ["name", "hostname", "account__name"]
    form = CollectorForm
    actions = ["revoke", "code_issue"]
    inlines = [CollectorConflictInline]
    readonly_fields = [
        "uid",
        "state",
        "enrolled_at",
        "revoked_at",
        "last_seen_at",
        "last_address",
        "version",
        "hostname",
        "devices_polled",
        "queue_depth",
        "dropped",
        "traps_unknown",
        "last_error",
        "unresponsive_since",
    ]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("account__parent__parent", "site")
            .annotate(_devices=Count("devices", distinct=True))
        )

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["account", "site", "name", "poll_interval"]
        return ["account", "site", "name", "poll_interval", *self.readonly_fields]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        return ["account", *self.readonly_fields]

    @admin.display(description=_("state"))
    def state(self, obj):
        return collector_state(obj)

    @admin.display(description=_("devices"), ordering="_devices")
    def device_count(self, obj):
        return getattr(obj, "_devices", None)

    def save_model(self, request, obj, form, change):
        if change:
            return super().save_model(request, obj, form, change)
        collector, code = collector_create(account=obj.account, site=obj.site, name=obj.name, by=request.user)
        if obj.poll_interval != collector.poll_interval:
            collector.poll_interval = obj.poll_interval
            collector.save(update_fields=["poll_interval"])
        obj.pk, obj.uid = collector.pk, collector.uid
        obj._state.adding = False
        self.message_user(
            request,
            _("One-time enrollment code for %(name)s (shown only now, valid %(delay)s): %(code)s")
            % {"name": collector.name, "delay": _code_validity(), "code": code},
            messages.WARNING,
        )

    @admin.action(description=_("Revoke the selected collectors"))
    def revoke(self, request, queryset):
        count = sum(collector_revoke(collector=c, by=request.user) for c in queryset)
        self.message_user(request, _("%(count)d collector(s) revoked.") % {"count": count})

    @admin.action(description=_("Issue a new enrollment code"))
    def code_issue(self, request, queryset):
        for collector in queryset:
            if collector.revoked_at is not None:
                self.message_user(
                    request,
                    _("%(name)s is revoked: no enrollment code.") % {"name": collector.name},
                    messages.ERROR,
                )
                continue
            code = collector_code_issue(collector=collector)
            self.message_user(
                request,
                _("One-time enrollment code for %(name)s (shown only now, valid %(delay)s): %(code)s")
                % {"name": collector.name, "delay": _code_validity(), "code": code},
                messages.WARNING,
            )


def _code_validity() -> str:
    """ "24 hours": how long an enrollment code works, in words."""
    from django.conf import settings

    return duration_words(timedelta(hours=settings.FMP_COLLECTOR_CODE_HOURS))


@admin.register(CollectorConflict)
class CollectorConflictAdmin(admin.ModelAdmin):
    list_display = ["device", "collector", "device_owner", "reports", "first_seen_at", "last_seen_at"]
    list_select_related = ["device__collector", "collector__account"]
    readonly_fields = ["collector", "device", "reports", "first_seen_at", "last_seen_at"]

    @admin.display(description=_("polled by"))
    def device_owner(self, obj):
        return obj.device.collector.name if obj.device.collector_id else _("the portal (central poller)")

    def has_add_permission(self, request):
        return False


@admin.register(CollectorBatch)
class CollectorBatchAdmin(admin.ModelAdmin):
    list_display = ["batch_id", "collector", "received_at", "status", "observations", "stored_at", "error"]
    list_filter = ["status"]
    list_select_related = ["collector__account"]
    search_fields = ["batch_id", "collector__name"]
    exclude = ["payload"]

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in CollectorBatch._meta.fields if f.name != "payload"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
