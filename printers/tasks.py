"""Celery tasks of the monitoring engine. Each takes ids, re-fetches rows and calls one service."""

from __future__ import annotations

import logging

from celery import shared_task

logger = logging.getLogger(__name__)


@shared_task(bind=True, acks_late=True, ignore_result=True)
def fleet_poll(self) -> None:
    """Beat: poll the whole fleet (skips itself while a previous run is still going)."""
    from printers.polling import fleet_poll_run

    fleet_poll_run(kind="fleet", token=self.request.id or "")


@shared_task(bind=True, acks_late=True, ignore_result=True)
def device_status_refresh(self, device_ids: list[int]) -> None:
    """ "Get printer status": poll these devices now, whatever their back-off."""
    from printers.polling import fleet_poll_run

    fleet_poll_run(
        kind="refresh", device_ids=list(device_ids), token=self.request.id or "", respect_backoff=False
    )


@shared_task(ignore_result=True)
def discovery_sweep(range_ids: list[int] | None = None) -> None:
    from printers.discovery import discovery_run

    discovery_run(range_ids=range_ids)


@shared_task(ignore_result=True)
def poll_attempts_prune() -> None:
    from printers.services import poll_attempts_prune as prune

    prune()


@shared_task(bind=True, acks_late=True, ignore_result=True, max_retries=5)
def conditions_hand_over(self, condition_ids: list[int]) -> None:
    """Tickets and e-mails for conditions a trap raised (printers.conditions)."""
    from printers.conditions import conditions_hand_over as hand_over

    hand_over(list(condition_ids))


def queue_conditions_hand_over(condition_ids: list[int]) -> None:
    """Queue the handlers of these conditions; with no broker (or the broker down) they run
    now, so that no ticket is lost."""
    from django.conf import settings

    if not settings.CELERY_TASK_ALWAYS_EAGER:
        try:
            conditions_hand_over.apply_async(args=[list(condition_ids)], retry=False)
            return
        except Exception:
            logger.exception(
                "Could not queue the handlers of %d condition(s): running them now", len(condition_ids)
            )
    conditions_hand_over.apply(args=[list(condition_ids)])


def queue_status_refresh(device_ids: list[int]) -> bool:
    """Queue an immediate poll of these devices. False when the broker cannot be reached:
    the request stays visible as pending and the next fleet poll answers it."""
    from django.conf import settings

    try:
        if settings.CELERY_TASK_ALWAYS_EAGER:  # no broker (the embedded default): poll now
            device_status_refresh.apply(args=[list(device_ids)])
        else:
            device_status_refresh.apply_async(args=[list(device_ids)], retry=False)
    except Exception:  # broker down: the request is kept on the devices, nothing is lost
        logger.exception("Could not queue a status refresh for %d device(s)", len(device_ids))
        return False
    return True
