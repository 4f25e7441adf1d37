"""Permission-aware reads of supply orders."""

from __future__ import annotations

from django.db.models import Count, Q

from supplies.choices import OPEN_ORDER_STATUSES
from supplies.models import Order


def order_summary(user) -> dict:
    qs = Order.objects.for_user(user).within_history(user, "created_at")
    return qs.aggregate(
        open=Count("pk", filter=Q(status__in=OPEN_ORDER_STATUSES)),
        automatic=Count("pk", filter=Q(origin="automatic", status__in=OPEN_ORDER_STATUSES)),
        delivered=Count("pk", filter=Q(status="delivered")),
    )
