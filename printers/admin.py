from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.template.response import TemplateResponse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from collectors.models import Collector
from fmp.admin_site import EventKeyListFilter
from printers import services
from printers.models import (
    Device,
    DeviceCondition,
    DeviceEvent,
    DeviceModel,
    DeviceState,
    DiscoveryRange,
    Manufacturer,
    PollAttempt,
    PollRun,
    Supply,
    TrapSender,
)


@admin.register(Manufacturer)
class ManufacturerAdmin(admin.ModelAdmin):
    search_fields = ["name"]


@admin.register(DeviceModel)
class DeviceModelAdmin(admin.ModelAdmin):
    list_display = ["name", "manufacturer", "is_colour", "duplex", "fax", "scan", "copy", "staple", "a3"]
    list_filter = ["manufacturer", "is_colour", "fax", "scan", "a3"]
    search_fields = ["name", "manufacturer__name"]
    autocomplete_fields = ["manufacturer"]


# The grid's copies of the supply levels: the supplies inline shows the levels themselves.
STATE_GRID_COPIES = ["level_black", "level_cyan", "level_magenta", "level_yellow", "colours_present"]


class DeviceStateInline(admin.StackedInline):
    model = DeviceState
    can_delete = False
    exclude = STATE_GRID_COPIES
    readonly_fields = [
        f.name for f in DeviceState._meta.fields if f.name not in ["device", *STATE_GRID_COPIES]
    ]


class SupplyInline(admin.TabularInline):
    model = Supply
    extra = 0
    can_delete = False
    readonly_fields = [
        "index",
        "description",
        "type",
        "colour",
        "level",
        "max_capacity",
        "percent",
        "updated_at",
    ]

    def has_add_permission(self, request, obj=None):
        return False


class PollAttemptInline(admin.TabularInline):
    model = PollAttempt
    extra = 0
    can_delete = False
    fields = ["started_at", "ok", "duration_ms", "error_shown", "trigger"]
    readonly_fields = fields
    max_num = 10

    @admin.display(description=_("error"))
    def error_shown(self, obj):
        return obj.error_shown or "-"

    def has_add_permission(self, request, obj=None):
        return False


class DeviceAdminForm(forms.ModelForm):
    """The device form (the admin's fieldsets choose its fields); the collector's account is
    checked by ``Device.clean``."""

    class Meta:
        model = Device
        fields = ["collector"]

    def clean_collector(self):
        collector = self.cleaned_data.get("collector")
        if collector is not None and collector.revoked_at is not None and "collector" in self.changed_data:
            raise forms.ValidationError(
                _("The site collector “%(name)s” has been revoked: choose another one, or none.")
                % {"name": collector.name}
            )
        return collector


class CollectorChoiceForm(forms.Form):
    """The intermediate page of "Assign to a site collector…"."""

    collector = forms.ModelChoiceField(label=_("Site collector"), queryset=Collector.objects.none())

    def __init__(self, *args, account_ids, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["collector"].queryset = Collector.objects.filter(
            account_id__in=account_ids, revoked_at__isnull=True
        ).select_related("account")


@admin.register(Device)
class DeviceAdmin(admin.ModelAdmin):
    form = DeviceAdminForm
    list_display = [
        "serial_number",
        "model",
        "account",
        "site",
        "ip_address",
        "under_contract",
        "newly_discovered",
        "supplies_on_hold",
        "collector",
    ]
    list_filter = [
        "under_contract",
        "newly_discovered",
        "supplies_on_hold",
        "managed_by_snmp",
        ("collector", admin.RelatedOnlyFieldListFilter),
        ("collector", admin.EmptyFieldListFilter),
        ("account", admin.RelatedOnlyFieldListFilter),
        ("model__manufacturer", admin.RelatedOnlyFieldListFilter),
    ]
    search_fields = ["serial_number", "asset_number", "system_name", "dns_name", "ip_address", "model__name"]
    list_select_related = ["model", "account__parent__parent", "site", "collector__account"]
    autocomplete_fields = ["account", "site", "model"]
    actions = ["acknowledge_discovery", "assign_collector", "poll_centrally"]
    inlines = [DeviceStateInline, SupplyInline, PollAttemptInline]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "account",
                    "site",
                    "model",
                    "serial_number",
                    "asset_number",
                    "customer_asset_number",
                ]
            },
        ),
        (
            _("Network"),
            {"fields": ["ip_address", "dns_name", "system_name", "managed_by_snmp", "collector"]},
        ),
        (_("Location"), {"fields": ["printer_location", "device_location"]}),
        (
            _("Contract and supplies"),
            {
                "fields": [
                    "under_contract",
                    "supplies_on_hold",
                    "supplies_hold_reason",
                    "notifications_enabled",
                    "primary_contact_email",
                ]
            },
        ),
        (_("Discovery"), {"fields": ["discovered_at", "newly_discovered"]}),
        (
            _("SNMP (help desk only)"),
            {
                "classes": ["collapse"],
                "fields": [
                    "snmp_version",
                    "snmp_port",
                    "snmp_community",
                    "snmp_v3_user",
                    "snmp_v3_auth_protocol",
                    "snmp_v3_auth_key",
                    "snmp_v3_priv_protocol",
                    "snmp_v3_priv_key",
                ],
            },
        ),
    ]

    def _save_moved(self, request, obj, form, change):
        moved = change and "account" in form.changed_data
        if moved and obj.primary_contact_email and "primary_contact_email" not in form.changed_data:
            # A person of the previous account: not the new account's contact, nor the
            # recipient of its automatic orders.
            obj.primary_contact_email = ""
            self.message_user(
                request,
                _("The device moved to another account: its primary contact e-mail was cleared."),
                messages.WARNING,
            )
        super().save_model(request, obj, form, change)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "collector":
            kwargs["queryset"] = Collector.objects.select_related("account")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        if change and "collector" in form.changed_data:
            # Through the service: the audit row, and the previous collector's waiting
            # commands expire.
            new = obj.collector
            obj.collector = Device.objects.get(pk=obj.pk).collector
            services.devices_collector_assign(devices=[obj], collector=new, by=request.user)
        self._save_moved(request, obj, form, change)

    @admin.action(description=_("Assign to a site collector…"))
    def assign_collector(self, request, queryset):
        devices = list(queryset.select_related("collector", "account"))
        form = CollectorChoiceForm(
            request.POST if "apply" in request.POST else None,
            account_ids={d.account_id for d in devices},
        )
        if form.is_valid():
            collector = form.cleaned_data["collector"]
            assigned, refused = services.devices_collector_assign(
                devices=devices, collector=collector, by=request.user
            )
            self.message_user(
                request,
                gettext("%(count)d device(s) now polled by the site collector “%(name)s”.")
                % {"count": len(assigned), "name": collector.name},
            )
            unchanged = len(devices) - len(assigned) - len(refused)
            if unchanged:
                self.message_user(
                    request,
                    gettext("%(count)d device(s) were already polled by it.") % {"count": unchanged},
                )
            if refused:
                self.message_user(
                    request,
                    gettext(
                        "%(count)d device(s) refused: they belong to another account than the "
                        "collector's (%(account)s): %(devices)s."
                    )
                    % {
                        "count": len(refused),
                        "account": collector.account.name,
                        "devices": ", ".join(str(d) for d in refused[:20]),
                    },
                    messages.ERROR,
                )
            return None
        if not form.fields["collector"].queryset.exists():
            self.message_user(
                request,
                gettext(
                    "No site collector can poll these devices: create one for their account first "
                    "(Site collectors)."
                ),
                messages.WARNING,
            )
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Assign to a site collector"),
            "opts": self.model._meta,
            "devices": devices,
            "form": form,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/printers/device/assign_collector.html", context)

    @admin.action(description=_("Poll centrally (no collector)"))
    def poll_centrally(self, request, queryset):
        assigned, _refused = services.devices_collector_assign(
            devices=list(queryset.select_related("collector")), collector=None, by=request.user
        )
        self.message_user(
            request, gettext("%(count)d device(s) now polled by the portal.") % {"count": len(assigned)}
        )

    @admin.action(description=_("Acknowledge: no longer newly discovered"))
    def acknowledge_discovery(self, request, queryset):
        count = queryset.update(newly_discovered=False)
        self.message_user(request, _("%(count)d device(s) acknowledged.") % {"count": count})


@admin.register(DeviceEvent)
class DeviceEventAdmin(admin.ModelAdmin):
    """Events by their translated label and what their data says (fmp.texts)."""

    list_display = ["at", "device", "label", "detail", "user"]
    list_filter = [EventKeyListFilter]
    search_fields = ["device__serial_number", "key"]
    list_select_related = ["device", "user"]
    fields = ["device", "at", "label", "detail", "user", "key", "data"]
    readonly_fields = fields

    @admin.display(description=_("event"), ordering="key")
    def label(self, obj):
        return obj.label

    @admin.display(description=_("details"))
    def detail(self, obj):
        return obj.detail or "-"


@admin.register(PollRun)
class PollRunAdmin(admin.ModelAdmin):
    list_display = ["started_at", "kind", "finished_at", "devices", "failures", "note_shown"]
    list_filter = ["kind"]
    fields = ["kind", "started_at", "finished_at", "devices", "failures", "skipped", "note_shown"]
    readonly_fields = fields

    @admin.display(description=_("note"))
    def note_shown(self, obj):
        return obj.note_shown or "-"

    def has_add_permission(self, request):
        return False


@admin.register(DiscoveryRange)
class DiscoveryRangeAdmin(admin.ModelAdmin):
    list_display = [
        "cidr",
        "account",
        "site",
        "snmp_version",
        "snmp_port",
        "enabled",
        "collector",
        "last_run_at",
        "last_result",
    ]
    list_filter = [
        "enabled",
        ("account", admin.RelatedOnlyFieldListFilter),
        ("collector", admin.RelatedOnlyFieldListFilter),
    ]
    search_fields = ["cidr", "account__name"]
    autocomplete_fields = ["account", "site"]
    readonly_fields = ["last_run_at", "last_result"]
    list_select_related = ["account__parent__parent", "site", "collector__account"]
    actions = ["sweep_now"]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "collector":
            kwargs["queryset"] = Collector.objects.select_related("account")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    @admin.action(description=_("Sweep now"))
    def sweep_now(self, request, queryset):
        from printers.tasks import discovery_sweep

        ranges = list(queryset)
        central = [r.pk for r in ranges if r.collector_id is None]
        if central:
            discovery_sweep.delay(central)
            self.message_user(
                request, _("Discovery queued for %(count)d range(s).") % {"count": len(central)}
            )
        if len(central) < len(ranges):
            self.message_user(
                request,
                _(
                    "%(count)d range(s) are swept by their site collector, on its own network: "
                    "not by the portal."
                )
                % {"count": len(ranges) - len(central)},
                messages.WARNING,
            )


@admin.register(DeviceCondition)
class DeviceConditionAdmin(admin.ModelAdmin):
    list_display = ["device", "condition", "severity", "raised_at", "cleared_at"]
    list_filter = ["severity", "code", ("cleared_at", admin.EmptyFieldListFilter)]
    search_fields = ["device__serial_number", "code"]
    list_select_related = ["device"]
    readonly_fields = ["device", "code", "severity", "raised_at", "cleared_at"]

    @admin.display(description=_("condition"), ordering="code")
    def condition(self, obj):
        from printers.choices import condition_label

        return condition_label(obj.code)


@admin.register(TrapSender)
class TrapSenderAdmin(admin.ModelAdmin):
    """Addresses that sent traps matching no device: a printer to add (or whose address
    changed), or noise. Read only: the receiver counts them."""

    list_display = ["address", "traps", "last_kind", "last_serial", "first_seen_at", "last_seen_at"]
    search_fields = ["address", "last_serial"]
    readonly_fields = list_display

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
