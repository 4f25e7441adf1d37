"""Run asyncio code from synchronous Django code, whatever the calling thread is doing.

The SNMP client is asynchronous; services, Celery tasks and commands are not. A
``LoopThread`` owns one event loop in a thread of its own, so that ``run(coro)`` works even
when the caller's thread already runs a loop (ASGI, a test driving a browser), and the
caller keeps its own database connection for the writes.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")


class LoopThread:
    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name="fmp-asyncio", daemon=True)

    def __enter__(self) -> LoopThread:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(10)
        self.loop.close()

    def run(self, coro: Awaitable[T]) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result()


def run_sync(factory: Callable[[], Awaitable[T]]) -> T:
    """Run one coroutine to completion on a private loop."""
    with LoopThread() as runner:
        return runner.run(factory())
