"""Permission-aware reads of service requests."""

from __future__ import annotations

from django.db.models import Count, Q

from tickets.models import Ticket


def ticket_summary(user) -> dict:
    """Open tickets by state for the home pane, within the user's 90-days setting."""
    qs = Ticket.objects.for_user(user).within_history(user, "occurred_at")
    return qs.aggregate(
        new=Count("pk", filter=Q(state="new")),
        in_progress=Count("pk", filter=Q(state="in_progress")),
        done=Count("pk", filter=Q(state="done")),
    )
