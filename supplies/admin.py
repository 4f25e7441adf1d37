from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from supplies import services
from supplies.models import ConsumableItem, Order, OrderEvent, OrderLine


@admin.register(ConsumableItem)
class ConsumableItemAdmin(admin.ModelAdmin):
    list_display = ["part_number", "shown_name", "type", "colour", "yield_pages", "generic", "active"]
    list_filter = ["type", "colour", "generic", "active"]
    search_fields = ["part_number", "description"]
    filter_horizontal = ["compatible_models"]

    @admin.display(description=_("description"), ordering="description")
    def shown_name(self, obj):
        """A generic item by its name in the reader's language (the stored description is English)."""
        return obj.name


class OrderLineInline(admin.TabularInline):
    model = OrderLine
    extra = 0
    fields = ["item", "quantity", "shipped_item"]
    readonly_fields = ["item", "quantity"]
    autocomplete_fields = ["shipped_item"]

    def has_add_permission(self, request, obj=None):
        return False


class OrderEventInline(admin.TabularInline):
    """The order's history: each event by its translated label, the portal's notes in the
    reader's language (fmp.texts)."""

    model = OrderEvent
    extra = 0
    fields = ["at", "label", "by", "note_shown"]
    readonly_fields = fields
    can_delete = False

    @admin.display(description=_("event"))
    def label(self, obj):
        return obj.label

    @admin.display(description=_("note"))
    def note_shown(self, obj):
        return obj.note_shown or "-"

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    """The help desk processes orders: status (with its date and an e-mail), generic items swapped."""

    list_display = ["number", "account", "device", "origin", "status", "created_at", "shipped_at"]
    list_filter = ["status", "origin", ("account", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["number", "device__serial_number", "account__name"]
    list_select_related = ["account__parent", "device"]
    readonly_fields = [
        "number",
        "account",
        "device",
        "site",
        "origin",
        "created_at",
        "created_by",
        "reason_shown",
        "processing_at",
        "shipped_at",
        "delivered_at",
        "cancelled_at",
        "reorder_allowed_at",
    ]
    fields = [
        "number",
        "status",
        "account",
        "device",
        "site",
        "origin",
        "reason_shown",
        "created_at",
        "created_by",
        "contact_name",
        "contact_phone",
        "street",
        "postal_code",
        "city",
        "country",
        "building_floor_room",
        "notes",
        "processing_at",
        "shipped_at",
        "delivered_at",
        "cancelled_at",
        "reorder_allowed_at",
    ]
    inlines = [OrderLineInline, OrderEventInline]
    actions = ["allow_reorder"]

    @admin.action(
        description=_("Allow automatic re-ordering for the supplies of the selected cancelled orders"),
        permissions=["change"],
    )
    def allow_reorder(self, request, queryset):
        count = services.orders_allow_reorder(orders=list(queryset), by=request.user)
        messages.info(
            request,
            ngettext(
                "Automatic re-ordering allowed for %(count)d cancelled automatic order.",
                "Automatic re-ordering allowed for %(count)d cancelled automatic orders.",
                count,
            )
            % {"count": count},
        )

    def has_add_permission(self, request):
        return False

    @admin.display(description=_("why it was ordered"))
    def reason_shown(self, obj):
        return obj.reason_shown or "-"

    def save_model(self, request, obj, form, change):
        form.fmp_new_status = None
        new_status = obj.status
        if change and "status" in form.changed_data:
            obj.status = form.initial["status"]
        super().save_model(request, obj, form, change)
        if change and new_status != obj.status:
            form.fmp_new_status = new_status  # once the lines are saved: see save_related

    def save_related(self, request, form, formsets, change):
        # The lines first: the shipping e-mail lists the item that replaced a generic one in
        # this very save.
        super().save_related(request, form, formsets, change)
        new_status = getattr(form, "fmp_new_status", None)
        if new_status is None:
            return
        order = form.instance
        result = services.order_status_change(order=order, status=new_status, by=request.user)
        if not result or new_status not in ("shipped", "cancelled"):
            return  # no e-mail for the other statuses, and none is claimed
        if result.emailed:
            messages.info(request, _("The customer is told of the new status by e-mail."))
        elif order.created_by_id is None:
            messages.warning(request, _("No e-mail was sent: nobody placed this order (automatic order)."))
        else:
            messages.warning(
                request,
                _("No e-mail was sent: the person who placed this order does not receive these e-mails."),
            )
