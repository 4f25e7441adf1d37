from __future__ import annotations

from collections import defaultdict
from datetime import timedelta
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.generic import DetailView
from django_filters.views import FilterView
from django_tables2 import SingleTableMixin

from accounts.mixins import TenantScopedMixin
from accounts.tenancy import sees_several_accounts
from accounts.views import safe_next
from fmp.csv import csv_response
from fmp.ids import parse_ids
from fmp.tables import PageFirstQuerysetData, active_filter_count
from printers import services
from printers.actions import ACTIONS
from printers.charts import line_chart
from printers.choices import CounterType
from printers.filtersets import PrinterFilterSet
from printers.forms import LocationForm, PrinterActionForm
from printers.models import CounterSample, Device, SupplyLevelSample
from printers.selectors import GRID_FIELDS, device_commands_recent, device_grid_annotate
from printers.tables import PrinterTable
from printers.templatetags.printers_tags import condition_labels

TABS = [
    ("status", gettext_lazy("Status")),
    ("supplies", gettext_lazy("Supplies")),
    ("info", gettext_lazy("Information")),
    ("counters", gettext_lazy("Usage counters")),
    ("features", gettext_lazy("Features")),
    ("diagnostics", gettext_lazy("Remote diagnostics")),
    ("incidents", gettext_lazy("Incidents")),
]


class PrinterListView(TenantScopedMixin, SingleTableMixin, FilterView):
    """The printers grid: filters in the URL, sortable, paged; ``?export=csv`` for the same rows."""

    model = Device
    table_class = PrinterTable
    filterset_class = PrinterFilterSet
    template_name = "printers/printer_list.html"
    table_pagination = {"per_page": 50}  # the table paginates; the list view itself does not

    def get_queryset(self):
        return device_grid_annotate(super().get_queryset(), self.request.user)

    def get_filterset_kwargs(self, filterset_class):
        kwargs = super().get_filterset_kwargs(filterset_class)
        kwargs["user"] = self.request.user
        return kwargs

    def get_table_kwargs(self):
        return {"exclude": () if sees_several_accounts(self.request.user) else ("account",)}

    def get_table_data(self):
        return PageFirstQuerysetData(super().get_table_data())

    def get(self, request, *args, **kwargs):
        if request.GET.get("export") == "csv":
            filterset = self.get_filterset(self.get_filterset_class())
            queryset = filterset.qs if filterset.is_valid() else self.get_queryset().none()
            queryset = queryset.select_related("site").only(*GRID_FIELDS, "site__name")
            return self.export_csv(queryset.order_by("-state_rank", "serial_number"))
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        params = self.request.GET.copy()
        params.pop("page", None)
        params["export"] = "csv"
        context["csv_query"] = params.urlencode()
        context["actions"] = [
            (key, action)
            for key, action in ACTIONS.items()
            if not action.permission or self.request.user.has_perm(action.permission)
        ]
        table = context.get("table")
        page = getattr(table, "page", None)
        context["pending_ids"] = (
            [row.record.pk for row in page.object_list if row.record.refresh_pending] if page else []
        )
        context["filters_active"] = active_filter_count(self.filterset, self.request.GET)
        return context

    def export_csv(self, queryset):
        header = [
            _("State"),
            _("Incident"),
            _("Model"),
            _("Serial number"),
            _("Black"),
            _("Cyan"),
            _("Magenta"),
            _("Yellow"),
            _("Total page count"),
            _("Site"),
            _("Printer location"),
            _("IP address"),
            _("Under contract"),
            _("Status date"),
            _("Customer account"),
        ]

        def level(state, colour):
            if state is None or colour not in (state.colours_present or []):
                return "-"
            value = getattr(state, f"level_{colour}")
            return "" if value is None else value

        def rows():
            for device in queryset.iterator(chunk_size=2000):
                state = getattr(device, "state", None)
                yield [
                    state.get_overall_display() if state else _("Other"),
                    condition_labels(state.conditions) if state else "",
                    device.model.name if device.model else "",
                    device.serial_number,
                    level(state, "black"),
                    level(state, "cyan"),
                    level(state, "magenta"),
                    level(state, "yellow"),
                    state.total_pages if state and state.total_pages is not None else "",
                    device.site.name if device.site else "",
                    device.printer_location,
                    device.ip_address or "",
                    _("Yes") if device.under_contract else _("No"),
                    state.status_at if state else None,
                    device.account.name,
                ]

        return csv_response("printers.csv", header, rows())


class PrinterDetailView(TenantScopedMixin, DetailView):
    """The seven tabs of a printer; each tab loads only what it shows."""

    model = Device
    template_name = "printers/printer_detail.html"
    context_object_name = "device"

    def get_queryset(self):
        return (
            super()
            .get_queryset()
            .select_related("model__manufacturer", "state", "site", "account__parent", "collector")
        )

    def get_tab(self) -> str:
        tab = self.request.GET.get("tab", "status")
        return tab if tab in dict(TABS) else "status"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        tab = self.get_tab()
        context.update(
            tab=tab, tabs=TABS, state=getattr(self.object, "state", None), device_ids=[self.object.pk]
        )
        if self.object.collector_id is not None:
            # Who reports the device and what was asked of it (never its SNMP settings).
            commands = device_commands_recent(self.object, limit=20 if tab == "diagnostics" else 5)
            context.update(
                collector=self.object.collector,
                commands=commands,
                commands_waiting=any(c.status in ("pending", "delivered") for c in commands),
            )
        loader = getattr(self, f"tab_{tab}", None)
        if loader:
            context.update(loader(self.object))
        return context

    def tab_status(self, device):
        from meters.choices import ReadStatus
        from meters.services import read_status, visible_reads

        last = (
            visible_reads(self.request.user)
            .filter(device=device, superseded=False)
            .order_by("-read_at")
            .values_list("read_at", flat=True)
            .first()
        )
        status = read_status(last_read_at=last, automatic=device.managed_by_snmp)
        return {"meter_read_status": ReadStatus(status).label}

    def tab_supplies(self, device):
        supplies = list(device.supplies.all())
        since = timezone.now() - timedelta(days=180)
        history = defaultdict(list)
        for supply_id, observed_at, percent in (
            SupplyLevelSample.objects.filter(
                supply__device=device, observed_at__gte=since, percent__isnull=False
            )
            .order_by("observed_at")
            .values_list("supply_id", "observed_at", "percent")
        ):
            history[supply_id].append((observed_at, percent))
        for supply in supplies:
            supply.chart = line_chart(
                {supply.colour or "total": history.get(supply.pk, [])},
                width=360,
                height=90,
                y_min=0,
                y_max=100,
                title=str(supply),
            )
        from supplies.services import supply_forecasts

        forecasts = supply_forecasts(supplies)
        for supply in supplies:
            supply.days_left = forecasts.get(supply.pk)
        from printers.alerts import alert_rows

        supply_alerts = defaultdict(list)  # what the printer's alert table says of each supply
        for row in alert_rows(list(device.alerts.all()), supplies):
            if row.supply is not None:
                supply_alerts[row.supply.pk].append(row)
        for supply in supplies:
            supply.printer_alerts = supply_alerts.get(supply.pk, [])
        return {"supplies": supplies}

    def tab_counters(self, device):
        since = timezone.now() - timedelta(days=400)
        series = defaultdict(list)
        for counter, observed_at, value in (
            CounterSample.objects.filter(device=device, observed_at__gte=since)
            .order_by("observed_at")
            .values_list("counter", "observed_at", "value")
        ):
            series[counter].append((observed_at, value))
        labels = dict(CounterType.choices)
        latest = [
            {"counter": labels.get(key, key), "value": values[-1][1], "at": values[-1][0]}
            for key, values in sorted(series.items())
        ]
        chart = line_chart(
            dict(series), labels={k: str(v) for k, v in labels.items()}, title=_("Usage counters")
        )
        return {"counter_chart": chart, "counter_latest": latest, "counter_labels": labels}

    def tab_diagnostics(self, device):
        from printers.alerts import alert_rows

        return {
            "attempts": list(device.poll_attempts.all()[:20]),
            "status_changes": list(device.status_history.all()[:20]),
            "alerts": alert_rows(list(device.alerts.all()), list(device.supplies.all())),
        }

    def tab_incidents(self, device):
        tickets = device.tickets.for_user(self.request.user)  # not a previous account's
        return {"tickets": list(tickets.select_related("requester").order_by("-occurred_at")[:100])}


class PrinterActionView(LoginRequiredMixin, View):
    """Runs one action of the menu on the selected printers, with a result per device."""

    def post(self, request):
        back = safe_next(request, reverse("printers:printer_list"))
        form = PrinterActionForm(request.POST)
        if not form.is_valid():
            for errors in form.errors.values():
                for error in errors:
                    messages.error(request, error)
            return redirect(back)
        key = form.cleaned_data["action"]
        action = ACTIONS[key]
        if action.permission and not request.user.has_perm(action.permission):
            return render(
                request,
                "printers/action_refused.html",
                {"action": action, "back": back},
                status=403,
            )
        ids = list(dict.fromkeys(form.cleaned_data["devices"]))
        found = {
            d.pk: d
            for d in Device.objects.for_user(request.user)
            .filter(pk__in=ids)
            .select_related("state", "model", "collector")
        }
        unknown = [i for i in ids if i not in found]
        if unknown:
            messages.error(
                request,
                _("%(count)d selected device(s) could not be found in your fleet: nothing was done to them.")
                % {"count": len(unknown)},
            )
        devices = [found[i] for i in ids if i in found]
        if not devices:
            return redirect(back)
        if action.kind == "flow":
            return self.open_flow(request, key, action, devices, back)
        if action.kind == "form":
            query = urlencode([("devices", d.pk) for d in devices] + [("next", back)])
            return redirect(f"{reverse(action.url_name)}?{query}")
        if action.confirm and request.POST.get("confirmed") != "1":
            return render(
                request,
                "printers/action_confirm.html",
                {"action": action, "key": key, "devices": devices, "back": back},
            )
        getattr(self, f"do_{key}")(request, devices)
        return redirect(back)

    def open_flow(self, request, key, action, devices, back):
        if len(devices) > 1:
            messages.info(
                request,
                _("“%(action)s” works on one device at a time: %(device)s was chosen.")
                % {"action": action.label, "device": devices[0].serial_number or devices[0]},
            )
        device = devices[0]
        try:
            if key == "counters":
                return redirect(reverse(action.url_name, args=[device.pk]) + "?tab=counters")
            return redirect(f"{reverse(action.url_name)}?{action.query}={device.pk}")
        except NoReverseMatch:
            messages.warning(request, _("“%(action)s” is not available yet.") % {"action": action.label})
            return redirect(back)

    @staticmethod
    def _name(device) -> str:
        return device.serial_number or str(device)

    @classmethod
    def _result(cls, device, text: str) -> str:
        return _("%(device)s: %(result)s") % {"device": cls._name(device), "result": text}

    def _contract(self, request, devices, under: bool):
        for device in devices:
            changed = services.device_contract_set(device=device, under_contract=under, by=request.user)
            if under:
                text = (
                    _("%(device)s: now under contract.")
                    if changed
                    else _("%(device)s: already under contract.")
                )
            else:
                text = (
                    _("%(device)s: now out of contract.")
                    if changed
                    else _("%(device)s: already out of contract.")
                )
            messages.success(request, text % {"device": self._name(device)})

    def do_contract_under(self, request, devices):
        self._contract(request, devices, True)

    def do_contract_out(self, request, devices):
        self._contract(request, devices, False)

    def do_refresh(self, request, devices):
        outcome = services.device_status_refresh_request(devices=devices, by=request.user)
        for device in devices:
            if device.pk in outcome.remote:  # through its site collector
                _device, ok, text = outcome.remote[device.pk]
                (messages.info if ok else messages.error)(request, self._result(device, text))
                continue
            if outcome.central_queued:
                text = _(
                    "%(device)s: status requested; the grid shows it as pending until the device answers."
                )
            else:
                text = _(
                    "%(device)s: status requested, but the monitoring queue is unavailable right now; "
                    "the request is kept and the next poll answers it."
                )
            level = messages.info if outcome.central_queued else messages.warning
            level(request, text % {"device": self._name(device)})

    def _device_command(self, request, devices, service):
        for device, ok, text in service(devices=devices, by=request.user):
            (messages.success if ok else messages.error)(request, self._result(device, text))

    def do_reset(self, request, devices):
        self._device_command(request, devices, services.devices_reset)

    def do_test_page(self, request, devices):
        self._device_command(request, devices, services.devices_test_page_print)


class PrinterRefreshStatusView(LoginRequiredMixin, View):
    """htmx: while any of these devices waits for a fresh status, answer "pending"; then
    tell the page to reload itself so that the new values show without a manual reload."""

    def get(self, request):
        ids = parse_ids(request.GET.getlist("devices"), limit=200)
        devices = list(Device.objects.for_user(request.user).filter(pk__in=ids).select_related("state"))
        pending = [d for d in devices if d.refresh_pending]
        if pending:
            return render(request, "printers/includes/refresh_pending.html", {"pending": pending, "ids": ids})
        response = HttpResponse("")
        response["HX-Refresh"] = "true"
        return response


class PrinterLocationView(LoginRequiredMixin, View):
    """Update location of the selected printers (fleet managers)."""

    template_name = "printers/printer_location.html"
    permission = "accounts.update_location"

    def devices(self, request):
        raw = request.POST.getlist("devices") or request.GET.getlist("devices")
        ids = parse_ids(raw)
        return list(
            Device.objects.for_user(request.user).filter(pk__in=ids).select_related("model", "collector")
        )

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not request.user.has_perm(self.permission):
            return render(
                request,
                "printers/action_refused.html",
                {"action": ACTIONS["location"], "back": reverse("printers:printer_list")},
                status=403,
            )
        return super().dispatch(request, *args, **kwargs)

    def get(self, request):
        devices = self.devices(request)
        if not devices:
            messages.error(request, _("Select at least one printer in the grid."))
            return redirect("printers:printer_list")
        initial = {"location": devices[0].device_location} if len(devices) == 1 else {}
        return self.render(request, LocationForm(initial=initial), devices)

    def post(self, request):
        devices = self.devices(request)
        if not devices:
            messages.error(request, _("Select at least one printer in the grid."))
            return redirect("printers:printer_list")
        form = LocationForm(request.POST)
        if not form.is_valid():
            return self.render(request, form, devices)
        results = services.devices_location_update(
            devices=devices, location=form.cleaned_data["location"], by=request.user
        )
        for device, ok, text in results:
            (messages.success if ok else messages.warning)(request, PrinterActionView._result(device, text))
        return redirect(safe_next(request, reverse("printers:printer_list")))

    def render(self, request, form, devices):
        return render(
            request,
            self.template_name,
            {"form": form, "devices": devices, "next": safe_next(request, reverse("printers:printer_list"))},
        )
