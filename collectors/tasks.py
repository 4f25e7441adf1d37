"""Celery tasks of the site collectors. Each takes ids, re-fetches rows and calls one service."""

from __future__ import annotations

import logging

from celery import shared_task

logger = logging.getLogger(__name__)


@shared_task(acks_late=True, ignore_result=True)
def collector_batch_store(batch_id: int) -> None:
    """Store one accepted upload (idempotent: a redelivered task stores nothing twice)."""
    from collectors.services import collector_batch_store as store

    store(batch_id=batch_id)


def batch_store_queue(batch_id: int) -> None:
    """Queue the storing of an upload. Without a broker (the embedded default) it is stored
    now; with the broker down the upload stays queued and ``collector_batches_requeue``
    queues it again."""
    from django.conf import settings

    try:
        if settings.CELERY_TASK_ALWAYS_EAGER:
            collector_batch_store.apply(args=[batch_id])
        else:
            collector_batch_store.apply_async(args=[batch_id], retry=False)
    except Exception:  # broker down: the batch stays queued and is queued again by beat
        logger.exception("Could not queue collector upload %s", batch_id)


@shared_task(ignore_result=True)
def collector_batches_requeue() -> None:
    """Beat: queue again the uploads whose worker died or whose task was lost."""
    from collectors.services import collector_batches_requeue as requeue

    requeue(enqueue=batch_store_queue)


@shared_task(ignore_result=True)
def collectors_health_check() -> None:
    """Beat: mark silent collectors unresponsive (one help-desk ticket each)."""
    from collectors.services import collectors_health_check as check

    check()


@shared_task(ignore_result=True)
def collector_nonces_prune() -> None:
    """Beat: forget old nonces, and stored or failed uploads past their retention."""
    from collectors.services import collector_batches_prune
    from collectors.services import collector_nonces_prune as prune

    prune()
    collector_batches_prune()
