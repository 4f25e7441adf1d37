"""Background work on devices."""

from __future__ import annotations


def queue_status_refresh(device_ids: list[int]) -> None:
    """Queue an immediate poll of these devices (the SNMP engine plugs in here).

    Until the engine runs, the devices' ``refresh_requested_at`` shows the request as
    pending on the grid and the detail page.
    """
