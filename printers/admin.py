from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

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
    readonly_fields = ["started_at", "ok", "duration_ms", "error", "trigger"]
    max_num = 10

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Device)
class DeviceAdmin(admin.ModelAdmin):
    list_display = [
        "serial_number",
        "model",
        "account",
        "site",
        "ip_address",
        "under_contract",
        "newly_discovered",
        "supplies_on_hold",
    ]
    list_filter = [
        "under_contract",
        "newly_discovered",
        "supplies_on_hold",
        "managed_by_snmp",
        ("account", admin.RelatedOnlyFieldListFilter),
        ("model__manufacturer", admin.RelatedOnlyFieldListFilter),
    ]
    search_fields = ["serial_number", "asset_number", "system_name", "dns_name", "ip_address", "model__name"]
    list_select_related = ["model", "account__parent__parent", "site"]
    autocomplete_fields = ["account", "site", "model"]
    actions = ["acknowledge_discovery"]
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
        (_("Network"), {"fields": ["ip_address", "dns_name", "system_name", "managed_by_snmp"]}),
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

    def save_model(self, request, obj, form, change):
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

    @admin.action(description=_("Acknowledge: no longer newly discovered"))
    def acknowledge_discovery(self, request, queryset):
        count = queryset.update(newly_discovered=False)
        self.message_user(request, _("%(count)d device(s) acknowledged.") % {"count": count})


@admin.register(DeviceEvent)
class DeviceEventAdmin(admin.ModelAdmin):
    list_display = ["at", "device", "key", "user"]
    list_filter = ["key"]
    search_fields = ["device__serial_number", "key"]
    list_select_related = ["device", "user"]
    readonly_fields = ["device", "at", "key", "user", "data"]


@admin.register(PollRun)
class PollRunAdmin(admin.ModelAdmin):
    list_display = ["started_at", "kind", "finished_at", "devices", "failures", "note"]
    list_filter = ["kind"]
    readonly_fields = ["kind", "started_at", "finished_at", "devices", "failures", "skipped", "note"]

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
        "last_run_at",
        "last_result",
    ]
    list_filter = ["enabled", ("account", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["cidr", "account__name"]
    autocomplete_fields = ["account", "site"]
    readonly_fields = ["last_run_at", "last_result"]
    list_select_related = ["account__parent__parent", "site"]
    actions = ["sweep_now"]

    @admin.action(description=_("Sweep now"))
    def sweep_now(self, request, queryset):
        from printers.tasks import discovery_sweep

        discovery_sweep.delay([r.pk for r in queryset])
        self.message_user(
            request, _("Discovery queued for %(count)d range(s).") % {"count": queryset.count()}
        )


@admin.register(DeviceCondition)
class DeviceConditionAdmin(admin.ModelAdmin):
    list_display = ["device", "code", "severity", "raised_at", "cleared_at"]
    list_filter = ["severity", "code", ("cleared_at", admin.EmptyFieldListFilter)]
    search_fields = ["device__serial_number", "code"]
    list_select_related = ["device"]
    readonly_fields = ["device", "code", "severity", "raised_at", "cleared_at"]
