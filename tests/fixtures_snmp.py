"""A real simulated fleet (snmpsim on 127.0.0.1) and a real Celery worker for the engine's tests."""

from __future__ import annotations

import contextlib
import os

import pytest

# The engine's fixtures (simulator, sim_target, snmpd_agent) are a plugin of tests/conftest.py;
# its helpers are re-exported here for the portal's tests.
from fmp_snmp.testing import (  # noqa: F401
    SHARED_SNMP,
    V3,
    free_tcp_port,
    free_udp_port,
    start_simulator,
    wait_for,
)
from fmp_snmp.testing import run as run


def sim_device(account, simulator, community, *, site=None, serial="", **fields):
    """A device of ``account`` answered by the simulator with the recording ``community``."""
    from tests import factories

    return factories.device(
        account,
        site,
        serial=serial,
        ip_address=simulator["host"],
        snmp_port=simulator["port"],
        snmp_community=community,
        **fields,
    )


BROKER = os.environ.get("CELERY_TEST_BROKER_URL", "redis://127.0.0.1:6379/15")


@contextlib.contextmanager
def celery_broker(url: str, **conf):
    """Point the Celery app of this process at a real broker (tasks are sent, not run eagerly).

    ``conf`` overrides other app settings for the duration; everything is put back after.
    """
    from fmp.celery import app

    conf = {"broker_url": url, "task_always_eager": False, "broker_connection_retry_on_startup": True, **conf}
    old = {key: app.conf[key] for key in conf}
    app.conf.update(conf)
    celery_reconnect(app)
    try:
        yield app
    finally:
        app.conf.update(old)
        celery_reconnect(app)


def celery_reconnect(app) -> None:
    """Forget pooled broker connections (the next send opens a new one)."""
    app._pool = None
    app.amqp._producer_pool = None


@pytest.fixture
def celery_worker(settings):
    """A real Celery worker (solo pool, in a thread) consuming from the Redis broker."""
    from celery.contrib.testing.worker import start_worker

    settings.CELERY_TASK_ALWAYS_EAGER = False
    with celery_broker(BROKER) as app:
        with app.connection_for_write() as conn:
            conn.default_channel.client.flushdb()  # a clean queue for this test
        with start_worker(
            app, pool="solo", perform_ping_check=False, shutdown_timeout=30, loglevel="WARNING"
        ):
            yield


@pytest.fixture
def hostile(account, site, simulator):
    """The simulator's hostile printer (markup, scripts, control characters, invalid UTF-8
    in its texts), polled once into the database."""
    from printers.polling import fleet_poll_run

    device = sim_device(account, simulator, "sim-hostile", site=site)
    run = fleet_poll_run()
    assert run.failures == 0
    device.refresh_from_db()
    return device
