"""Permission-aware reads of service requests."""

from __future__ import annotations

from django.db.models import Count, Q

from tickets.models import Ticket


def ticket_summary(user) -> dict:
    """Open tickets by state for the home pane, within the user's 90-days setting."""
    qs = Ticket.objects.for_user(user)
    since = user.history_since()
    if since:
        qs = qs.filter(occurred_at__gte=since)
    return qs.aggregate(
        new=Count("pk", filter=Q(state="new")),
        in_progress=Count("pk", filter=Q(state="in_progress")),
        done=Count("pk", filter=Q(state="done")),
    )
