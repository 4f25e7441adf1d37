import logging

from celery import shared_task

logger = logging.getLogger(__name__)


@shared_task(bind=True, max_retries=6, ignore_result=True, acks_late=True)
def email_send(self, message: dict) -> None:
    """Deliver one rendered e-mail; on failure retry with back-off (1, 2, 4 … 32 minutes)."""
    from accounts.notifications import deliver

    try:
        deliver(message)
    except Exception as exc:
        logger.warning("E-mail to %s failed (%s); retry %d", message.get("to"), exc, self.request.retries + 1)
        if self.request.called_directly or self.app.conf.task_always_eager:
            logger.exception("E-mail to %s not sent", message.get("to"))
            return
        raise self.retry(exc=exc, countdown=60 * 2**self.request.retries) from exc
