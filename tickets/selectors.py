"""Permission-aware reads of service requests."""

from __future__ import annotations

from django.db.models import Count, Q

from tickets.choices import OPEN_STATES, TicketOrigin
from tickets.models import Ticket


def within_history(queryset, user):
    """Tickets of the user's window (Settings: last 90 days or all): the window hides closed
    old tickets, never open ones (a request open for months is still waiting)."""
    since = user.history_since()
    if since is None:
        return queryset
    return queryset.filter(Q(occurred_at__gte=since) | Q(state__in=OPEN_STATES))


def ticket_summary(user) -> dict:
    """Tickets by state for the home pane, within the user's 90-days setting (open ones always)."""
    qs = within_history(Ticket.objects.for_user(user), user)
    return qs.aggregate(
        new=Count("pk", filter=Q(state="new")),
        in_progress=Count("pk", filter=Q(state="in_progress")),
        done=Count("pk", filter=Q(state="done")),
    )


def hide_automatic(queryset):
    """Without the tickets monitoring opened (the open-tickets screens' toggle)."""
    return queryset.exclude(origin=TicketOrigin.MONITORING)
