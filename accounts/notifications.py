"""The one place that sends the portal's e-mails.

Every e-mail is rendered in the recipient's language with a plain-text and an HTML body,
sent only after the surrounding transaction commits, through Celery when a broker is
configured (retried with back-off, never blocking the user's action). Users choose in
Settings which kinds they receive; the temporary password always goes, and device-related
kinds also follow the device's "notifications enabled" flag. The temporary password is
made and sent by its own task from the user id (``run_off_request``): no password in the
broker, and without a broker a background thread, so the request never waits for the mail
server.
"""

from __future__ import annotations

import logging
import threading
import time

from django.conf import settings
from django.db import connections, transaction
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.html import linebreaks, urlize
from django.utils.translation import gettext_lazy as _

logger = logging.getLogger(__name__)

KINDS = {
    "ticket_created": _("Confirmation of my service requests"),
    "ticket_state": _("Changes to my service requests"),
    "auto_ticket": _("Automatic tickets opened on our devices"),
    "device_condition": _("Our devices need us (paper out, door open, tray missing or full)"),
    "order_placed": _("Confirmation of my supply orders"),
    "order_shipped": _("My supply orders shipped or cancelled"),
    "meter_due": _("Meter read reminders"),
}
ALWAYS = {"temporary_password"}
DEVICE_KINDS = {"auto_ticket", "device_condition", "meter_due"}


def wants(user, kind: str) -> bool:
    return kind in ALWAYS or kind not in (user.email_opt_out or [])


def render(*, user, template: str, context: dict) -> dict:
    """Subject, text and HTML of ``template`` in the user's language."""
    with translation.override(user.language or settings.LANGUAGE_CODE):
        context = {**context, "user": user}
        # The text part is plain text (engine "text": no HTML escaping); the HTML part
        # escapes it exactly once, then links the addresses and keeps the line breaks.
        subject = " ".join(render_to_string(f"{template}_subject.txt", context, using="text").split())
        # A plain str, not the SafeString a template returns, so that urlize escapes it.
        text = "".join([render_to_string(f"{template}.txt", context, using="text")])
        body = linebreaks(urlize(text, autoescape=True))
        html = render_to_string("emails/base.html", {"subject": subject, "body": body}, using="django")
    return {"subject": subject[:250], "text": text, "html": html, "to": [user.email]}


def notify(*, user, kind: str, template: str, context: dict, device=None) -> bool:
    """Queue an e-mail to ``user`` if they (and the device) want this kind. True when queued."""
    if user is None or not user.email or not user.is_active or not user.account_is_active:
        return False
    if not wants(user, kind):
        return False
    if device is not None and kind in DEVICE_KINDS and not device.notifications_enabled:
        return False
    message = render(user=user, template=template, context=context)
    transaction.on_commit(lambda: _enqueue(message, kind))
    return True


_background: set[threading.Thread] = set()
_background_lock = threading.Lock()


def run_off_request(task, *args) -> None:
    """Run a Celery task away from the request: through the broker when one is configured,
    else (or when it is down) in a background thread of this process, with no retry.

    For work that must neither delay the answer nor put a secret in the broker (the
    temporary password: the task gets a user id and makes the password itself).
    """
    if not settings.CELERY_TASK_ALWAYS_EAGER:
        try:
            task.apply_async(args=list(args), retry=False)
            return
        except Exception:  # the broker is down
            logger.warning("Broker unavailable: running %s in a background thread", task.name)

    def run():
        try:
            task(*args)
        except Exception:
            logger.exception("Background task %s failed", task.name)
        finally:
            connections.close_all()
            with _background_lock:
                _background.discard(threading.current_thread())

    thread = threading.Thread(target=run, name=f"fmp-{task.name}", daemon=True)
    with _background_lock:
        _background.add(thread)
    thread.start()


def background_wait(timeout: float = 30) -> None:
    """Wait for the background threads started by ``run_off_request`` (tests, shutdown)."""
    deadline = time.monotonic() + timeout
    while True:
        with _background_lock:
            threads = list(_background)
        if not threads:
            return
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        if time.monotonic() >= deadline:
            return


def _enqueue(message: dict, kind: str) -> None:
    from accounts.tasks import email_send

    if settings.CELERY_TASK_ALWAYS_EAGER:  # no broker (the embedded default): send now
        try:
            deliver(message)
        except Exception:
            logger.exception("Could not send the %s e-mail", kind)
        return
    try:
        email_send.apply_async(args=[message], retry=False)
    except Exception:  # the broker is down: send directly rather than lose it
        logger.warning("Broker unavailable: sending the %s e-mail directly", kind)
        try:
            deliver(message)
        except Exception:
            logger.exception("Could not send the %s e-mail", kind)


def deliver(message: dict) -> None:
    from django.core.mail import EmailMultiAlternatives

    email = EmailMultiAlternatives(
        message["subject"], message["text"], settings.DEFAULT_FROM_EMAIL, message["to"]
    )
    email.attach_alternative(message["html"], "text/html")
    email.send()
