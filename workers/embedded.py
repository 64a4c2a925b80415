"""The worker inside `msgrouter run`: Celery's own WorkController on the threads pool,
consuming the in-process broker, plus a ticker thread that plays beat's part.

The tasks and the worker code are the production ones; only the transport differs.
"""
from __future__ import annotations

import logging
import threading

from celery.worker import WorkController, state

from workers.app import app, warm_triage

log = logging.getLogger(__name__)


class EmbeddedWorker:
    def __init__(self, concurrency: int = 4, tick_seconds: float = 5.0) -> None:
        self.concurrency = concurrency
        self.tick_seconds = tick_seconds
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._ready = threading.Event()

    def start(self) -> None:
        app.finalize()
        app.set_current()
        worker = WorkController(app=app, pool="threads", concurrency=self.concurrency,
                                hostname="embedded@msgrouter", without_heartbeat=True,
                                without_mingle=True, without_gossip=True,
                                ready_callback=lambda *_: self._ready.set())
        self._threads = [threading.Thread(target=worker.start, daemon=True, name="celery-worker"),
                         threading.Thread(target=self._tick_loop, daemon=True, name="ticker")]
        for thread in self._threads:
            thread.start()
        if not self._ready.wait(30):
            raise RuntimeError("the embedded Celery worker did not start within 30 s")
        warm_triage()

    def _tick_loop(self) -> None:
        while not self._stop.wait(self.tick_seconds):
            try:
                app.send_task("msgrouter.tick")
            except Exception as exc:  # noqa: BLE001 - the next tick tries again
                log.warning("tick not sent: %s", exc)

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        state.should_terminate = 0
        for thread in self._threads:
            thread.join(timeout)
        state.should_terminate = None
