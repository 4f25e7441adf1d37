"""System checks of the portal's own settings (``manage.py check``)."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Warning, register

# The longest wait before an e-mail is retried (accounts.tasks.email_send: 1, 2, 4 … 32 minutes).
LONGEST_RETRY_SECONDS = 32 * 60


@register()
def celery_visibility_timeout(app_configs, **kwargs):
    """A task waiting longer than the broker's visibility timeout (a retry countdown) is
    delivered again meanwhile: the e-mail would go twice."""
    if not settings.CELERY_BROKER_URL:
        return []
    timeout = settings.CELERY_BROKER_TRANSPORT_OPTIONS.get("visibility_timeout", 3600)
    if timeout > LONGEST_RETRY_SECONDS:
        return []
    return [
        Warning(
            f"FMP_CELERY_VISIBILITY_TIMEOUT={timeout} s is not longer than the longest e-mail retry "
            f"({LONGEST_RETRY_SECONDS} s): a retried e-mail could be delivered twice.",
            hint="Keep it above 1920 s (default 3600); shorten it only for drills.",
            id="fmp.W001",
        )
    ]
