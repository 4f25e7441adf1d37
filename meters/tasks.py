from celery import shared_task


@shared_task(ignore_result=True)
def meter_reminders_send() -> None:
    """Daily: "meter read due" reminders (once per device and month)."""
    from meters.services import meter_reminders_send as send

    send()
