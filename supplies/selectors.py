"""Permission-aware reads of supply orders."""

from __future__ import annotations

from django.db.models import Count, Q

from supplies.models import Order


def order_summary(user) -> dict:
    qs = Order.objects.for_user(user).within_history(user, "created_at")
    return qs.aggregate(
        open=Count("pk", filter=Q(status__in=["submitted", "processing", "shipped"])),
        automatic=Count(
            "pk", filter=Q(origin="automatic", status__in=["submitted", "processing", "shipped"])
        ),
        delivered=Count("pk", filter=Q(status="delivered")),
    )
