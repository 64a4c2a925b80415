"""Liveness, readiness and metrics for load balancers, orchestrators and Prometheus.

`/healthz` answers while the process serves requests; `/readyz` only while what a request
needs answers too: the database, and Redis when the broker is Redis (agents' replies ring
it). A failed check answers 503 naming the part; the reason is logged, not shown, since
these routes need no token.
"""
from __future__ import annotations

import logging

import redis
from fastapi import APIRouter
from fastapi.responses import Response
from sqlalchemy import text

from config.settings import get_settings
from router import metrics
from router.storage.db import get_engine
from router.web.models_public import Health, Ready

router = APIRouter(tags=["health"])
log = logging.getLogger(__name__)
REDIS_TIMEOUT_SECONDS = 2.0


@router.get("/healthz")
def healthz() -> Health:
    return Health(status="ok")


def _database() -> None:
    with get_engine().connect() as connection:
        connection.execute(text("SELECT 1"))


def _redis_urls() -> list[str]:
    settings = get_settings()
    urls = [settings.broker_url] if settings.broker_url.startswith(("redis://", "rediss://")) else []
    if settings.doorbell_redis_url and settings.doorbell_redis_url not in urls:
        urls.append(settings.doorbell_redis_url)
    return urls


def _redis() -> None:
    for url in _redis_urls():
        client = redis.Redis.from_url(url, socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
                                      socket_timeout=REDIS_TIMEOUT_SECONDS)
        try:
            client.ping()
        finally:
            client.close()


# `redis` is left out, not null, on a desk without Redis.
@router.get("/readyz", response_model_exclude_none=True,
            responses={503: {"model": Ready, "description": "a check failed: the part is named, the reason logged"}})
def readyz(response: Response) -> Ready:
    checks = {"database": _database, **({"redis": _redis} if _redis_urls() else {})}
    results: dict[str, str] = {}
    for name, check in checks.items():
        try:
            check()
            results[name] = "ok"
        except Exception as exc:  # noqa: BLE001 - not ready is an answer, not an error
            log.warning("readyz: %s unavailable (%s: %s)", name, type(exc).__name__, exc)
            results[name] = f"unavailable: {type(exc).__name__}"
    ready = all(value == "ok" for value in results.values())
    response.status_code = 200 if ready else 503
    return Ready(status="ok" if ready else "unavailable", database=results["database"], redis=results.get("redis"))


@router.get("/metrics", include_in_schema=False)
def prometheus_metrics() -> Response:
    body, content_type = metrics.exposition()
    return Response(body, media_type=content_type)
