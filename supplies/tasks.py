from celery import shared_task


@shared_task(ignore_result=True)
def proactive_orders_place() -> None:
    """Hourly: order the toner and ink that runs low."""
    from supplies.services import proactive_orders_place as place

    place()
