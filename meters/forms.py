from __future__ import annotations

import datetime

from django import forms
from django.utils.translation import gettext_lazy as _

from fmp.l10n import format_number
from meters.services import COUNTER_LABELS


class MeterReadForm(forms.Form):
    """One field per counter of the device, the description, and the two confirmations."""

    description = forms.CharField(label=_("Description"), max_length=500, required=False)
    no_pages = forms.BooleanField(label=_("No page printed since the previous read"), required=False)
    confirm = forms.BooleanField(label=_("I have checked these values: record them"), required=False)

    def __init__(self, *args, counters: list[str], latest: dict, **kwargs):
        super().__init__(*args, **kwargs)
        self.counters = counters
        for counter in reversed(counters):
            previous = latest.get(counter)
            field = forms.IntegerField(
                label=COUNTER_LABELS.get(counter, counter),
                min_value=0,
                max_value=10**12,
                required=counter == "total",
                error_messages={
                    "required": _("Enter the total counter."),
                    "invalid": _("Enter the counter as a whole number, without spaces or dots."),
                    "min_value": _("A counter cannot be negative."),
                    "max_value": _("This number is too large for a page counter."),
                },
                widget=forms.NumberInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
            )
            if previous is not None:
                field.help_text = _("Previous read: %(value)s") % {"value": format_number(previous.value)}
            self.fields = {f"counter_{counter}": field, **self.fields}

    def values(self) -> dict[str, int | None]:
        return {c: self.cleaned_data.get(f"counter_{c}") for c in self.counters}


# Billing periods the report can compute (the month before, the twelve months of the chart):
# a month or a date out of these is a form error, not a date overflow.
PERIOD_FIRST = datetime.date(1970, 1, 1)
PERIOD_LAST = datetime.date(2999, 12, 31)


class PeriodForm(forms.Form):
    month = forms.CharField(
        label=_("Month"),
        required=False,
        widget=forms.TextInput(attrs={"type": "month"}),
        help_text=_("or a custom period"),
    )
    start = forms.DateField(
        label=_("From"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    end = forms.DateField(
        label=_("To"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    everything = forms.BooleanField(
        label=_("Include devices out of contract and newly discovered"),
        required=False,
        help_text=_(
            "By default they are not billed: neither in the totals, the list, the CSV nor the chart."
        ),
    )

    def _in_period(self, name):
        value = self.cleaned_data.get(name)
        if value is not None and not PERIOD_FIRST <= value <= PERIOD_LAST:
            raise forms.ValidationError(
                _("Enter a date between %(first)s and %(last)s.")
                % {"first": PERIOD_FIRST, "last": PERIOD_LAST}
            )
        return value

    def clean_start(self):
        return self._in_period("start")

    def clean_end(self):
        return self._in_period("end")

    def clean(self):
        data = super().clean()
        month = (data.get("month") or "").strip()
        if month:
            try:
                month_date = datetime.date.fromisoformat(month + "-01")
            except ValueError:
                self.add_error("month", _("Enter a month as YYYY-MM."))
            else:
                if PERIOD_FIRST <= month_date <= PERIOD_LAST:
                    data["month_date"] = month_date
                else:
                    self.add_error(
                        "month",
                        _("Enter a month between %(first)s and %(last)s.")
                        % {"first": PERIOD_FIRST.strftime("%Y-%m"), "last": PERIOD_LAST.strftime("%Y-%m")},
                    )
        elif data.get("start") and data.get("end"):
            if data["end"] < data["start"]:
                self.add_error("end", _("The end of the period is before its start."))
            elif (data["end"] - data["start"]).days > 731:
                self.add_error("end", _("Choose a period of two years at most."))
        elif data.get("start") or data.get("end"):
            self.add_error("end", _("Give both the start and the end of the period."))
        return data
