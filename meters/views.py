from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView
from django_tables2 import SingleTableMixin

from accounts.mixins import TenantScopedMixin
from accounts.tenancy import sees_several_accounts
from fmp.csv import csv_response
from fmp.ids import parse_id
from meters.choices import ReadSource, ReadStatus
from meters.forms import MeterReadForm, PeriodForm
from meters.models import MeterRead
from meters.selectors import (
    billed_devices,
    meter_list_rows,
    meter_summary,
    monthly_volumes,
    read_status_filters,
)
from meters.services import (
    MeterReadRefused,
    billing_report,
    counters_for,
    day_start,
    latest_reads,
    meter_read_submit,
    month_bounds,
    visible_reads,
)
from meters.tables import MeterListTable
from printers.charts import line_chart
from printers.models import Device


class MeterListView(TenantScopedMixin, SingleTableMixin, TemplateView):
    """The devices of the user's profile with their last read and read status (filtered by
    status and searched in the database, paged)."""

    model = Device
    template_name = "meters/meter_list.html"
    table_class = MeterListTable
    table_pagination = {"per_page": 50}

    def get(self, request, *args, **kwargs):
        device = parse_id(request.GET.get("device"))
        if device is not None:  # "Submit meter reads" from the printers actions
            return redirect("meters:meter_enter", pk=device)
        return super().get(request, *args, **kwargs)

    def wanted(self) -> str:
        wanted = self.request.GET.get("status", "")
        return wanted if wanted in ReadStatus.values else ""

    def search(self) -> str:
        return self.request.GET.get("q", "").strip()[:100]

    def get_table_data(self):
        rows = meter_list_rows(self.request.user)
        if self.wanted():
            rows = rows.filter(read_status_filters()[self.wanted()])
        return rows.search(self.search())

    def get_table_kwargs(self):
        return {
            "can_submit": self.request.user.has_perm("accounts.submit_meter_reads"),
            "several_accounts": sees_several_accounts(self.request.user),
        }

    def get_context_data(self, **kwargs):
        counts = meter_summary(self.request.user, self.search())  # the buttons count what a search finds
        statuses = [(value, label, counts[value]) for value, label in ReadStatus.choices]
        return super().get_context_data(
            statuses=statuses, total=counts["total"], wanted=self.wanted(), q=self.search(), **kwargs
        )


class MeterEnterView(TenantScopedMixin, View):
    """ "Enter counters" for one device; then the submitted and latest reads."""

    model = Device
    permission_required = "accounts.submit_meter_reads"
    template_name = "meters/meter_enter.html"

    def get_device(self, pk):
        return get_object_or_404(self.get_queryset().select_related("model", "site"), pk=pk)

    def context(self, device, form, submitted=None, confirm=None):
        latest = latest_reads(device)
        user = self.request.user
        history = visible_reads(user).filter(device=device).select_related("by")[:24]
        months, _per, volumes = monthly_volumes(devices=[device], end=timezone.now(), months=12, user=user)
        chart = line_chart(
            {"total": list(zip(months, volumes, strict=False))},
            labels={"total": _("Pages")},
            y_min=0,
            title=_("Monthly volume"),
            height=160,
        )
        return {
            "device": device,
            "form": form,
            "latest": [latest[c] for c in counters_for(device) if c in latest],
            "history": history,
            "submitted": submitted or [],
            "confirm": confirm or [],
            "chart": chart,
        }

    def get(self, request, pk):
        device = self.get_device(pk)
        form = MeterReadForm(counters=counters_for(device), latest=latest_reads(device))
        submitted = MeterRead.objects.filter(
            pk__in=request.session.pop("fmp_submitted_reads", []), device=device
        )
        return render(request, self.template_name, self.context(device, form, submitted=list(submitted)))

    def post(self, request, pk):
        device = self.get_device(pk)
        form = MeterReadForm(request.POST, counters=counters_for(device), latest=latest_reads(device))
        if not form.is_valid():
            return render(request, self.template_name, self.context(device, form))
        try:
            reads = meter_read_submit(
                device=device,
                values=form.values(),
                by=request.user,
                description=form.cleaned_data["description"],
                allow_equal=form.cleaned_data["no_pages"],
                confirmed=form.cleaned_data["confirm"],
            )
        except MeterReadRefused as refused:
            for counter, message in refused.errors.items():
                form.add_error(f"counter_{counter}", message)
            return render(request, self.template_name, self.context(device, form, confirm=refused.confirm))
        request.session["fmp_submitted_reads"] = [r.pk for r in reads]
        messages.success(request, _("Your meter reads have been recorded."))
        return redirect("meters:meter_enter", pk=device.pk)


class MeterReportView(TenantScopedMixin, View):
    """Billing period: start and end counters per device, pages used mono and colour, totals."""

    model = Device
    template_name = "meters/meter_report.html"

    def get(self, request):
        today = timezone.localdate()
        last_month = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
        start, end = month_bounds(last_month)
        label = last_month.strftime("%Y-%m")
        data = request.GET.copy()
        if data.get("start") or data.get("end"):
            data["month"] = ""  # a custom period wins over the month shown beside it
        elif not data.get("month"):
            data["month"] = label  # no choice yet (or only a page number): last month, shown
        form = PeriodForm(data)
        everything = False
        if form.is_bound and form.is_valid():
            data = form.cleaned_data
            everything = data.get("everything", False)
            if data.get("month_date"):
                start, end = month_bounds(data["month_date"])
                label = data["month"]
            elif data.get("start") and data.get("end"):
                # From the start of the first day to the start of the day after the last.
                start, end = day_start(data["start"]), day_start(data["end"] + timedelta(days=1))
                label = f"{data['start']}_{data['end']}"
        billed = billed_devices(request.user, start, end)
        # Out of contract or newly discovered (not acknowledged yet): not billed unless asked.
        billable = Q(under_contract=True, newly_discovered=False)
        left_out = 0 if everything else billed.exclude(billable).count()
        devices = (billed if everything else billed.filter(billable)).select_related("model", "site")
        devices = devices.order_by("serial_number", "pk")
        usage = billing_report(devices=devices, start=start, end=end, user=request.user)
        totals = {
            "mono": sum(u.mono for u in usage),
            "colour": sum(u.colour for u in usage),
            "total": sum(u.total for u in usage),
        }
        if request.GET.get("export") == "csv":
            return self.csv(usage, label)
        months, _per_device, volumes = monthly_volumes(devices=devices, end=end, months=12, user=request.user)
        page = Paginator(usage, 100).get_page(request.GET.get("page"))  # totals cover every page
        return render(
            request,
            self.template_name,
            {
                "form": form,
                "usage": page.object_list,
                "page_obj": page,
                "totals": totals,
                "start": start,
                "end": end,
                "last_day": end - timedelta(microseconds=1),
                "chart": self.chart(months, volumes),
                "monthly": list(zip(months, volumes, strict=True)),
                "everything": everything,
                "left_out": left_out,
            },
        )

    def chart(self, months, volumes):
        series = {"total": list(zip(months, volumes, strict=True))}
        return line_chart(series, labels={"total": _("Account")}, y_min=0, title=_("Monthly volume"))

    def csv(self, usage, label):
        header = [
            _("Serial number"),
            _("Model"),
            _("Site"),
            _("Start total"),
            _("Start date"),
            _("Start source"),
            _("End total"),
            _("End date"),
            _("End source"),
            _("Mono pages"),
            _("Colour pages"),
            _("Total pages"),
            _("To check"),
        ]
        sources = dict(ReadSource.choices)

        def rows():
            for u in usage:
                total = u.counters.get("total")
                start, end = (total.start, total.end) if total else (None, None)
                yield [
                    u.device.serial_number,
                    u.device.model.name if u.device.model_id else "",
                    u.device.site.name if u.device.site_id and not u.device.moved_away else "",
                    start.value if start else "",
                    start.read_at if start else None,
                    sources.get(start.source, "") if start else "",
                    end.value if end else "",
                    end.read_at if end else None,
                    sources.get(end.source, "") if end else "",
                    u.mono,
                    u.colour,
                    u.total,
                    _("Yes") if any(c.check for c in u.counters.values()) else "",
                ]

        return csv_response(f"meter-reads-{label}.csv", header, rows())
