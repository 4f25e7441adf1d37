from django import forms
from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from meters.models import MeterAnomaly, MeterRead
from meters.services import meter_anomaly_decide, meter_read_correct


class CorrectionForm(forms.ModelForm):
    """A correction: the read it corrects, the right value, and why (required)."""

    class Meta:
        model = MeterRead
        fields = ["corrects", "value", "description"]
        labels = {"description": _("Reason for the correction")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["corrects"].required = True
        self.fields["description"].required = True
        self.fields["corrects"].queryset = MeterRead.objects.filter(superseded=False).select_related("device")

    def clean_value(self):
        value = self.cleaned_data["value"]
        if value < 0:
            raise forms.ValidationError(_("A counter cannot be negative."))
        return value


@admin.register(MeterRead)
class MeterReadAdmin(admin.ModelAdmin):
    """Reads are never edited: "Add" makes a correction that supersedes the original."""

    list_display = [
        "device",
        "account",
        "counter",
        "value",
        "read_at",
        "source",
        "by",
        "superseded",
        "below_previous",
    ]
    list_filter = ["source", "counter", "superseded", "below_previous"]
    search_fields = ["device__serial_number", "description", "account__name"]
    list_select_related = ["device", "account", "by"]
    raw_id_fields = ["corrects"]
    date_hierarchy = "read_at"

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = CorrectionForm
        return super().get_form(request, obj, **kwargs)

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["corrects", "value", "description"]
        return [
            "device",
            "account",
            "counter",
            "value",
            "read_at",
            "source",
            "by",
            "description",
            "corrects",
            "superseded",
            "below_previous",
        ]

    def get_readonly_fields(self, request, obj=None):
        return self.get_fields(request, obj) if obj else []

    def save_model(self, request, obj, form, change):
        if change:
            return
        correction = meter_read_correct(
            original=form.cleaned_data["corrects"],
            value=form.cleaned_data["value"],
            by=request.user,
            reason=form.cleaned_data["description"],
        )
        obj.pk = correction.pk
        messages.info(request, _("The original read is kept and marked as superseded."))

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(MeterAnomaly)
class MeterAnomalyAdmin(admin.ModelAdmin):
    list_display = ["device", "counter", "previous_value", "new_value", "detected_at", "state", "decided_by"]
    list_filter = ["state", "counter"]
    search_fields = ["device__serial_number"]
    list_select_related = ["device", "decided_by"]
    readonly_fields = [
        "device",
        "counter",
        "previous_value",
        "new_value",
        "detected_at",
        "decided_by",
        "decided_at",
    ]
    actions = ["confirm_replacement", "dismiss"]

    @admin.action(description=_("Confirm a meter replacement: billing continues from the new counter"))
    def confirm_replacement(self, request, queryset):
        for anomaly in queryset:
            meter_anomaly_decide(anomaly=anomaly, replaced=True, by=request.user)
        self.message_user(request, _("%(count)d anomaly(ies) confirmed.") % {"count": queryset.count()})

    @admin.action(description=_("Dismiss (not a replacement)"))
    def dismiss(self, request, queryset):
        for anomaly in queryset:
            meter_anomaly_decide(anomaly=anomaly, replaced=False, by=request.user)
        self.message_user(request, _("%(count)d anomaly(ies) dismissed.") % {"count": queryset.count()})
