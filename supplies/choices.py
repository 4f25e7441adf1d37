from django.db import models
from django.utils.translation import gettext_lazy as _


class OrderStatus(models.TextChoices):
    SUBMITTED = "submitted", _("Submitted")
    PROCESSING = "processing", _("Processing")
    SHIPPED = "shipped", _("Shipped")
    DELIVERED = "delivered", _("Delivered")
    CANCELLED = "cancelled", _("Cancelled")

    @classmethod
    def badge(cls, value: str) -> str:
        return {
            "submitted": "primary",
            "processing": "warning",
            "shipped": "info",
            "delivered": "success",
        }.get(value, "secondary")


OPEN_ORDER_STATUSES = ("submitted", "processing", "shipped")


class OrderOrigin(models.TextChoices):
    PORTAL = "portal", _("Portal")
    AUTOMATIC = "automatic", _("Automatic (proactive)")
