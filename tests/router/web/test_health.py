"""/healthz is liveness; /readyz is readiness: the database, and Redis when the broker is
Redis, each named in a 503 when it does not answer."""
from __future__ import annotations

import httpx

from conftest import reset_caches
from support import free_port, serve_app


def _serve(monkeypatch, **settings: str):
    from router.web.app import create_app

    for key, value in settings.items():
        monkeypatch.setenv(key, value)
    reset_caches()
    return serve_app(create_app())


def test_ready_when_the_database_and_redis_answer(api, broker):
    base, _ = api
    response = httpx.get(f"{base}/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "redis": "ok"}


def test_not_ready_naming_redis_when_the_broker_is_out_of_reach(db_url, monkeypatch):
    with _serve(monkeypatch, MSGROUTER_BROKER_URL=f"redis://127.0.0.1:{free_port()}/0") as base:
        ready = httpx.get(f"{base}/readyz", timeout=10)
        alive = httpx.get(f"{base}/healthz")
    assert ready.status_code == 503
    body = ready.json()
    assert body["status"] == "unavailable" and body["database"] == "ok"
    assert body["redis"].startswith("unavailable: ConnectionError"), body
    assert alive.status_code == 200, "liveness does not depend on Redis"


def test_not_ready_naming_the_database_when_it_is_out_of_reach(db_url, broker, monkeypatch):
    url = f"postgresql://nobody@127.0.0.1:{free_port()}/none"
    with _serve(monkeypatch, MSGROUTER_DATABASE_URL=url) as base:
        ready = httpx.get(f"{base}/readyz", timeout=10)
    assert ready.status_code == 503
    assert ready.json()["database"].startswith("unavailable: OperationalError")
    assert ready.json()["redis"] == "ok"


def test_embedded_mode_has_no_redis_to_check(db_url, monkeypatch):
    with _serve(monkeypatch, MSGROUTER_BROKER_URL="memory://localhost/") as base:
        response = httpx.get(f"{base}/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}
