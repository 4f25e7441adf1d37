"""Logging filters: the development server's access log without the requests that repeat
every few seconds when all is well (a site collector asking for commands, the grid's
"pending" check, health probes), so that the demo's console shows what a person did."""

from __future__ import annotations

import logging

ROUTINE = (
    "/collector/v1/commands/",
    "/collector/v1/heartbeat/",
    "/collector/v1/config/",
    "/collector/v1/results/",
    "/printers/refresh-status/",
    "/healthz",
)


class RoutineRequestsFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if record.name != "django.server":
            return True
        status = getattr(record, "status_code", 0) or 0
        request = (
            str(record.args[0]) if isinstance(record.args, tuple) and record.args else record.getMessage()
        )
        return status >= 400 or not any(f" {path}" in request for path in ROUTINE)
