from django import forms
from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from tickets import services
from tickets.choices import EventKind, TicketOrigin
from tickets.models import Application, ApplicationCategory, ServiceType, Ticket, TicketEvent
from tickets.selectors import hide_automatic
from tickets.tables import automatic_badge


class GeneratedTextsForm(forms.ModelForm):
    """Shows the texts the portal wrote (``<field>_code``, fmp.texts) in the reader's
    language; a text the help desk edits becomes typed text (its code is dropped)."""

    generated_fields: tuple[str, ...] = ()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.generated_fields:
            if field in self.fields and getattr(self.instance, f"{field}_code", None):
                self.initial[field] = getattr(self.instance, f"{field}_shown")

    def _post_clean(self):
        stored = {f: getattr(self.instance, f) for f in self.generated_fields}
        super()._post_clean()
        for field in self.generated_fields:
            if field in self.changed_data:
                setattr(self.instance, f"{field}_code", None)
            else:  # unchanged: keep the stored text (the site's language), not the reader's
                setattr(self.instance, field, stored[field])


class TicketForm(GeneratedTextsForm):
    generated_fields = ("summary", "description")

    class Meta:
        model = Ticket
        fields = ["summary", "description"]  # the admin's fieldsets add the rest


class TicketEventForm(GeneratedTextsForm):
    generated_fields = ("text",)

    class Meta:
        model = TicketEvent
        fields = ["text"]  # the inline's fields add the rest

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if getattr(self.instance, "text_code", None) and "text" in self.fields:
            self.fields["text"].disabled = True  # the portal's note: read in the reader's language


class TicketEventInline(admin.TabularInline):
    """The ticket's history; add a public comment or an internal note (never shown to customers)."""

    model = TicketEvent
    form = TicketEventForm
    extra = 1
    fields = ["at", "kind", "author", "public", "text"]
    readonly_fields = ["at", "kind", "author"]
    verbose_name = _("comment")
    verbose_name_plural = _("history and comments")

    def has_delete_permission(self, request, obj=None):
        return False


class AutomaticFilter(admin.SimpleListFilter):
    """The help desk's toggle for the tickets monitoring opened (marked in the list)."""

    title = _("automatic tickets")
    parameter_name = "automatic"

    def lookups(self, request, model_admin):
        return [("hide", _("Hidden")), ("only", _("Only them"))]

    def queryset(self, request, queryset):
        if self.value() == "hide":
            return hide_automatic(queryset)
        if self.value() == "only":
            return queryset.filter(origin=TicketOrigin.MONITORING)
        return queryset


@admin.register(Ticket)
class TicketAdmin(admin.ModelAdmin):
    form = TicketForm
    list_display = [
        "number",
        "account",
        "device",
        "service",
        "state",
        "origin_marked",
        "assigned_to",
        "occurred_at",
    ]
    list_filter = [
        "state",
        AutomaticFilter,
        "origin",
        "service",
        ("account", admin.RelatedOnlyFieldListFilter),
        "assigned_to",
    ]
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

    @admin.display(description=_("origin"), ordering="origin")
    def origin_marked(self, obj):
        if obj.is_automatic:
            return automatic_badge()
        return obj.get_origin_display()

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
            result = services.ticket_state_change(ticket=obj, state=new_state, by=request.user)
            if not result:
                return
            if result.emailed:
                messages.info(request, _("The requester is told of the new state by e-mail."))
            elif obj.requester_id is None:
                messages.warning(
                    request, _("No e-mail was sent: this ticket has no requester (automatic ticket).")
                )
            else:
                messages.warning(
                    request, _("No e-mail was sent: the requester does not receive these e-mails.")
                )

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
