"""The Celery application: Redis in production, an in-process broker under `msgrouter run`."""
from __future__ import annotations

from celery import Celery, signals

from config.settings import get_settings

settings = get_settings()

# No acknowledgement emulation on Redis: a task leaves Redis when a worker takes it. The
# emulation keeps taken tasks in an `unacked` hash and puts them back when the consumer's
# channel closes. When Redis dies, the consumer closes its broken connection, and that
# restore can run after kombu has torn the connection down. It then raises
# AttributeError("'NoneType' object has no attribute 'hostname'") in `_connparams`, and the
# worker stops for good: "Unrecoverable error" (kombu 5.7.0; tests/faults/
# test_worker_survives_broker_loss.py). Without the emulation, kombu restores taken tasks
# from the worker's memory and catches every failure of that restore, so none can reach
# the consumer. Our tasks are doorbells: a task lost with a dead worker or a dead Redis
# costs nothing, because tick re-rings pending rows and expired claims (router/queue/tick.py).
# visibility_timeout only applies to the emulation, so it goes with it.
_REDIS_TRANSPORT = {"ack_emulation": False}

app = Celery("msgrouter", include=["workers.tasks"])
app.conf.update(
    broker_url=settings.broker_url,
    task_default_queue="msgrouter",
    task_serializer="json",
    accept_content=["json"],
    task_ignore_result=True,
    # Tasks are idempotent, so a task whose worker died is safely run again. On Redis
    # (no ack emulation, above) this only puts back, at a warm shutdown, the tasks taken
    # but not started; a killed worker's tasks are recovered by tick.
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
    else _REDIS_TRANSPORT,
    beat_schedule={"tick": {"task": "msgrouter.tick", "schedule": settings.tick_seconds},
                   # Retraining takes minutes of a core: scheduled for `msgrouter beat` only (the
                   # embedded run's ticker sends tick alone), and off with 0.
                   **({"retrain": {"task": "msgrouter.retrain", "schedule": settings.retrain_seconds}}
                      if settings.retrain_seconds > 0 else {})},
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
