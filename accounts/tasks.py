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


@shared_task(bind=True, max_retries=3, ignore_result=True, acks_late=True)
def temporary_password_send(self, user_id: int | None, login_url: str) -> None:
    """Make and e-mail a temporary password ("Forgot password"); only the user id travels.

    On a mail server failure nothing is recorded (the earlier temporary password keeps
    working) and the task is retried with back-off (1, 2, 4 minutes), each try with a new
    password.
    """
    from accounts.services import temporary_password_send as send

    try:
        send(user_id=user_id, login_url=login_url)
    except Exception as exc:
        if self.request.called_directly or self.app.conf.task_always_eager:
            raise
        logger.warning("Temporary password e-mail failed (%s); retry %d", exc, self.request.retries + 1)
        raise self.retry(exc=exc, countdown=60 * 2**self.request.retries) from exc
