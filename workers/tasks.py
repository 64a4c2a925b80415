"""The tasks: ids and counts in, counts out; all the work is in `router/`."""
from __future__ import annotations

from router.classify import retrain as retrain_work
from router.delivery import outbox
from router.queue import drain as drain_work
from router.queue import tick as tick_work
from router.storage.db import writing_as
from workers.app import app


@app.task(name="msgrouter.drain")
def drain() -> int:
    """Process pending inbound messages, batch after batch, until none is left."""
    with writing_as("drain"):
        return drain_work.drain_rung()


@app.task(name="msgrouter.deliver")
def deliver() -> int:
    """Send queued outbound messages through their channels."""
    with writing_as("deliver"):
        return outbox.deliver_pending()


@app.task(name="msgrouter.tick")
def tick() -> dict:
    """Periodic chores: re-ring lost doorbells, assign waiting conversations."""
    with writing_as("tick"):
        return tick_work.run()


@app.task(name="msgrouter.retrain")
def retrain() -> dict:
    """Retrain triage with agents' corrections; promoted only if no worse on the frozen file."""
    return retrain_work.scheduled()
