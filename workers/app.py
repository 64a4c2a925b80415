"""The Celery application: Redis in production, an in-process broker under `msgrouter run`."""
from __future__ import annotations

from celery import Celery, signals

from config.settings import get_settings

settings = get_settings()

app = Celery("msgrouter", include=["workers.tasks"])
app.conf.update(
    broker_url=settings.broker_url,
    task_default_queue="msgrouter",
    task_serializer="json",
    accept_content=["json"],
    task_ignore_result=True,
    # Tasks are idempotent, so a task whose worker died is safely run again.
    task_acks_late=True,
    task_reject_on_worker_lost=True,
    worker_prefetch_multiplier=1,
    worker_hijack_root_logger=False,
    broker_connection_retry_on_startup=True,
    # Publishing a doorbell must not hang intake when the broker is down: a lost ring
    # is recovered by tick.
    task_publish_retry_policy={"max_retries": 1, "interval_start": 0, "interval_step": 0.2,
                               "interval_max": 0.5},
    broker_transport_options={"polling_interval": 0.005} if settings.embedded
    else {"visibility_timeout": 3600},
    beat_schedule={"tick": {"task": "msgrouter.tick", "schedule": settings.tick_seconds}},
    beat_schedule_filename="var/celerybeat-schedule",
)


@signals.worker_ready.connect
def warm_triage(**_: object) -> None:
    """Compile the triage rules and load the model as the worker starts, so the first
    customer's message does not wait for them (`msgrouter worker` sends worker_ready;
    the embedded worker calls this itself)."""
    from router.classify import get_rules
    from router.steps.classify import triage_model

    get_rules()
    triage_model()
