from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from fmp.ids import parse_id
from printers.actions import ACTIONS


class PrinterActionForm(forms.Form):
    action = forms.ChoiceField(
        choices=[(key, action.label) for key, action in ACTIONS.items()],
        error_messages={"invalid_choice": _("Unknown action."), "required": _("Choose an action.")},
    )
    devices = forms.TypedMultipleChoiceField(
        coerce=int,
        choices=[],
        error_messages={"required": _("Select at least one printer in the grid.")},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Ids are checked against the user's devices by the view, not here: an id the
        # user may not see is reported as such, per device.
        raw = self.data.getlist("devices") if hasattr(self.data, "getlist") else []
        self.fields["devices"].choices = [(v, v) for v in raw if parse_id(v) is not None]


class LocationForm(forms.Form):
    location = forms.CharField(
        label=_("Device location"),
        max_length=255,
        help_text=_("Where the device stands, e.g. building 111, floor 1, copy room."),
    )

    def clean_location(self):
        value = " ".join(self.cleaned_data["location"].split())
        if not value:
            raise forms.ValidationError(_("Enter a location."))
        if any(not ch.isprintable() for ch in value):
            raise forms.ValidationError(_("The location contains characters that cannot be stored."))
        return value
