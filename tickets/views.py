from __future__ import annotations

import uuid
from datetime import timedelta
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import DetailView, TemplateView
from django_filters.views import FilterView
from django_tables2 import RequestConfig, SingleTableMixin

from accounts.mixins import TenantScopedMixin
from accounts.tenancy import sees_account, sees_several_accounts
from fmp.ids import parse_id
from fmp.tables import active_filter_count
from tickets import services
from tickets.choices import OPEN_STATES, TicketOrigin
from tickets.forms import CommentForm, TicketDetailsForm, TicketFilterSet, devices_for
from tickets.models import Application, Ticket
from tickets.selectors import hide_automatic, within_history
from tickets.tables import DeviceChoiceTable, TicketTable

DRAFT_KEY = "fmp_ticket_draft"
REQUEST_PERMISSION = "accounts.request_service"


def ticket_rows(queryset):
    return queryset.select_related("device__model__manufacturer", "site", "service", "requester", "account")


class TicketListView(TenantScopedMixin, SingleTableMixin, FilterView):
    """Service requests of the account, honouring the user's 90-days setting (which hides
    closed old tickets, never open ones)."""

    model = Ticket
    table_class = TicketTable
    filterset_class = TicketFilterSet
    template_name = "tickets/ticket_list.html"
    table_pagination = {"per_page": 50}  # the table paginates (out-of-range pages forgiven)

    def get_queryset(self):
        return within_history(ticket_rows(super().get_queryset()), self.request.user)

    def get_filterset_kwargs(self, filterset_class):
        return {**super().get_filterset_kwargs(filterset_class), "user": self.request.user}

    def get_table_kwargs(self):
        return {"several_accounts": sees_several_accounts(self.request.user)}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["filters_active"] = active_filter_count(self.filterset, self.request.GET)
        return context


class TicketDetailView(TenantScopedMixin, DetailView):
    model = Ticket
    slug_field = "number"
    slug_url_kwarg = "number"
    template_name = "tickets/ticket_detail.html"
    context_object_name = "ticket"

    def get_queryset(self):
        return ticket_rows(super().get_queryset()).select_related("application__category")

    def get_context_data(self, **kwargs):
        events = self.object.events.select_related("author")
        if not self.request.user.is_staff:
            events = events.filter(public=True)
        device = self.object.device
        return super().get_context_data(
            events=events,
            comment_form=kwargs.pop("comment_form", None) or CommentForm(),
            device_visible=device is not None and sees_account(self.request.user, device.account_id),
            conditions=self.conditions(),
            **kwargs,
        )

    def conditions(self):
        """An automatic ticket's device conditions, open or cleared (in the reader's language)."""
        from printers.choices import condition_label

        links = list(self.object.condition_links.select_related("condition"))
        for link in links:
            link.label = condition_label(link.condition.code)
        return links

    def post(self, request, *args, **kwargs):
        self.object = self.get_object()
        if not request.user.has_perm(REQUEST_PERMISSION):
            raise PermissionDenied
        form = CommentForm(request.POST)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(comment_form=form))
        services.ticket_comment_add(ticket=self.object, author=request.user, text=form.cleaned_data["text"])
        messages.success(request, _("Your comment has been added."))
        return redirect("tickets:ticket_detail", number=self.object.number)


class NewRequestMixin(TenantScopedMixin):
    """The steps of a new service request: every one needs the "request service" right."""

    model = Ticket
    permission_required = REQUEST_PERMISSION

    def open_tickets(self):
        return ticket_rows(Ticket.objects.for_user(self.request.user).filter(state__in=OPEN_STATES))


class TicketNewView(NewRequestMixin, TemplateView):
    """Step 1: the open tickets, for the user's site and for the whole account."""

    template_name = "tickets/new_open_tickets.html"

    def get(self, request, *args, **kwargs):
        device = parse_id(request.GET.get("device"))
        if device is not None:  # "Request service" from the printers actions: straight to the details
            return redirect(f"{reverse('tickets:ticket_new_details')}?device={device}")
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        site = self.request.user.default_site
        tab = "account" if self.request.GET.get("tab") == "account" or site is None else "site"
        # Automatic tickets are marked, and can be hidden: the user looks for what people reported.
        hide = self.request.GET.get("automatic") == "hide"
        rows = self.open_tickets()
        if tab == "site":
            rows = rows.filter(site=site)
        automatic_count = rows.filter(origin=TicketOrigin.MONITORING).count()
        if hide:
            rows = hide_automatic(rows)
        table = TicketTable(rows, prefix="t-", several_accounts=sees_several_accounts(self.request.user))
        RequestConfig(self.request, paginate={"per_page": 25}).configure(table)
        return super().get_context_data(
            table=table,
            tab=tab,
            site=site,
            hide_automatic=hide,
            automatic_count=automatic_count,
            automatic_param="&automatic=hide" if hide else "",
            **kwargs,
        )


class TicketNewDeviceView(NewRequestMixin, View):
    """Step 2: a device of the user's profile, or a user service (no device)."""

    template_name = "tickets/new_choose_device.html"

    def get(self, request):
        draft = draft_get(request) or {}
        q = request.GET.get("q", "").strip()[:100]
        table = DeviceChoiceTable(devices_for(request.user).search(q), extra_columns=())
        table.columns["choice"].column.extra_context = {"selected": draft.get("device")}
        RequestConfig(request, paginate={"per_page": 25}).configure(table)
        return render(
            request,
            self.template_name,
            {"table": table, "user_service": draft.get("user_service"), "q": q},
        )

    def post(self, request):
        if request.POST.get("device") == "user":
            return redirect(f"{reverse('tickets:ticket_new_details')}?user_service=1")
        device = parse_id(request.POST.get("device"))
        if device is None or not devices_for(request.user).filter(pk=device).exists():
            messages.error(request, _("Choose a device in the list, or the user service."))
            return redirect("tickets:ticket_new_device")
        return redirect(f"{reverse('tickets:ticket_new_details')}?device={device}")


class TicketNewDetailsView(NewRequestMixin, View):
    """Step 3: customer and device information, the device's open tickets, the ticket details."""

    template_name = "tickets/new_details.html"

    def get_device(self):
        raw = self.request.GET.get("device") or self.request.POST.get("device")
        if not raw:
            if self.request.GET.get("user_service") or self.request.POST.get("user_service"):
                return None
            raise Http404
        if parse_id(raw) is None:
            raise Http404
        return get_object_or_404(devices_for(self.request.user), pk=parse_id(raw))

    def context(self, form, device, *, key, draft=None):
        open_for_device = self.open_tickets().filter(device=device) if device else Ticket.objects.none()
        return {
            "form": form,
            "device": device,
            "open_for_device": TicketTable(open_for_device, orderable=False),
            "submission_key": key,
            "draft": draft,
        }

    def get(self, request):
        device = self.get_device()
        # What was typed comes back whatever device or service is chosen now ("Previous",
        # "Edit my profile"), for FMP_TICKET_DRAFT_HOURS, with a notice and a way to discard it.
        draft = draft_get(request)
        form = TicketDetailsForm(initial=draft["data"] if draft else {}, device=device)
        key = (draft or {}).get("key") or str(uuid.uuid4())
        return render(request, self.template_name, self.context(form, device, key=key, draft=draft))

    def post(self, request):
        device = self.get_device()
        form = TicketDetailsForm(request.POST, device=device)
        key = submission_key(request.POST.get("submission_key"))
        if "discard" in request.POST:
            request.session.pop(DRAFT_KEY, None)
            messages.info(request, _("The text you had typed is discarded."))
            return redirect(request.get_full_path())
        if "cancel" in request.POST:
            request.session.pop(DRAFT_KEY, None)
            return redirect("tickets:ticket_list")
        if "previous" in request.POST or "profile" in request.POST:
            draft_save(request, device=device, form=form, key=key)
            if "profile" in request.POST:
                return redirect(
                    f"{reverse('accounts:profile')}?{urlencode({'next': request.get_full_path()})}"
                )
            return redirect("tickets:ticket_new_device")
        if device is None and request.user.account_id is None:
            form.add_error(
                None, _("A user service belongs to a customer account: the help desk files it in the admin.")
            )
        if not form.is_valid():
            context = self.context(form, device, key=str(key or uuid.uuid4()))
            return render(request, self.template_name, context, status=200)
        data = form.cleaned_data
        try:
            ticket = services.ticket_create(
                account=device.account if device else request.user.account,
                requester=request.user,
                service=data["service"],
                summary=data["summary"],
                description=data["description"],
                device=device,
                site=device.site if device else request.user.default_site,
                severity=data.get("severity"),
                application=data.get("application"),
                source_reference=data.get("source_reference", ""),
                contact_name=data.get("contact_name", ""),
                contact_email=data.get("contact_email", ""),
                contact_phone=data.get("contact_phone", ""),
                submission_key=key,
            )
        except services.TicketAlreadySubmitted as already:
            # A second click, or the back button and Submit again: the first one made it.
            request.session.pop(DRAFT_KEY, None)
            messages.info(
                request,
                _("This request was already sent: it is ticket %(number)s.")
                % {"number": already.ticket.number},
            )
            return redirect("tickets:ticket_detail", number=already.ticket.number)
        request.session.pop(DRAFT_KEY, None)
        messages.success(
            request,
            _(
                "Your service request %(number)s has been sent to the help desk. A confirmation e-mail follows."
            )
            % {"number": ticket.number},
        )
        return redirect("tickets:ticket_detail", number=ticket.number)


def submission_key(raw) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(raw)) if raw else None
    except ValueError:
        return None


def draft_save(request, *, device, form, key) -> None:
    """Keep what was typed in the details (the session's draft), with when it was typed."""
    request.session[DRAFT_KEY] = {
        "device": device.pk if device else None,
        "user_service": device is None,
        "data": {k: v for k, v in request.POST.items() if k in form.fields},
        "key": str(key) if key else None,
        "saved_at": timezone.now().isoformat(),
    }


def draft_get(request) -> dict | None:
    """The session's draft, unless it is older than FMP_TICKET_DRAFT_HOURS (then dropped):
    an abandoned request does not come back days later."""
    draft = request.session.get(DRAFT_KEY)
    if not draft:
        return None
    saved_at = parse_datetime(draft.get("saved_at") or "")
    if saved_at is None or timezone.now() - saved_at > timedelta(hours=settings.FMP_TICKET_DRAFT_HOURS):
        request.session.pop(DRAFT_KEY, None)
        return None
    return {**draft, "saved_at": saved_at}


class ApplicationOptionsView(NewRequestMixin, View):
    """htmx: the applications of one category, as <option> elements."""

    def get(self, request):
        category = parse_id(request.GET.get("category"))
        apps = Application.objects.filter(active=True, category_id=category) if category is not None else []
        return render(request, "tickets/includes/application_options.html", {"applications": apps})
