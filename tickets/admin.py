from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from tickets import services
from tickets.choices import EventKind
from tickets.models import Application, ApplicationCategory, ServiceType, Ticket, TicketEvent


class TicketEventInline(admin.TabularInline):
    """The ticket's history; add a public comment or an internal note (never shown to customers)."""

    model = TicketEvent
    extra = 1
    fields = ["at", "kind", "author", "public", "text"]
    readonly_fields = ["at", "kind", "author"]
    verbose_name = _("comment")
    verbose_name_plural = _("history and comments")

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Ticket)
class TicketAdmin(admin.ModelAdmin):
    list_display = ["number", "account", "device", "service", "state", "origin", "assigned_to", "occurred_at"]
    list_filter = ["state", "origin", "service", ("account", admin.RelatedOnlyFieldListFilter), "assigned_to"]
    search_fields = ["number", "summary", "device__serial_number", "requester__email", "account__name"]
    list_select_related = ["account__parent", "device", "service", "assigned_to"]
    autocomplete_fields = ["account", "site", "device", "requester"]
    readonly_fields = ["number", "origin", "condition_code", "created_at", "updated_at", "helpdesk_touched"]
    inlines = [TicketEventInline]
    fieldsets = [
        (
            None,
            {"fields": ["number", "state", "assigned_to", "origin", "condition_code", "helpdesk_touched"]},
        ),
        (
            _("Request"),
            {"fields": ["account", "site", "device", "service", "summary", "description", "occurred_at"]},
        ),
        (_("MPS application support"), {"fields": ["severity", "application", "source_reference"]}),
        (_("Contacts"), {"fields": ["requester", "contact_name", "contact_email", "contact_phone"]}),
    ]

    def save_model(self, request, obj, form, change):
        new_state = obj.state
        if change and "state" in form.changed_data:
            obj.state = form.initial["state"]  # the service makes the change, records and notifies
        obj.helpdesk_touched = obj.helpdesk_touched or change
        super().save_model(request, obj, form, change)
        if change and "assigned_to" in form.changed_data and obj.assigned_to:
            TicketEvent.objects.create(
                ticket=obj,
                kind=EventKind.ASSIGNED,
                author=request.user,
                public=False,
                text=str(obj.assigned_to),
            )
        if change and new_state != obj.state:
            services.ticket_state_change(ticket=obj, state=new_state, by=request.user)
            messages.info(request, _("The requester is told of the new state by e-mail."))

    def save_formset(self, request, form, formset, change):
        events = formset.save(commit=False)
        for event in events:
            if event.pk is None:
                if not event.text.strip():
                    continue
                event.author = request.user
                event.kind = EventKind.COMMENT
            event.save()
        if events:
            Ticket.objects.filter(pk=form.instance.pk).update(helpdesk_touched=True)


@admin.register(ServiceType)
class ServiceTypeAdmin(admin.ModelAdmin):
    list_display = ["name", "name_en", "code", "requires_device", "is_application_support", "active", "order"]
    list_editable = ["active", "order"]


class ApplicationInline(admin.TabularInline):
    model = Application
    extra = 1


@admin.register(ApplicationCategory)
class ApplicationCategoryAdmin(admin.ModelAdmin):
    list_display = ["name", "name_en", "order"]
    inlines = [ApplicationInline]
