"""The agent API's per-token rate limit (MSGROUTER_API_RATE_LIMIT): 429 with Retry-After
past it, each token counted on its own; in Redis shared by every web process, in memory
in embedded mode."""
from __future__ import annotations

from contextlib import ExitStack

import httpx
import pytest

from conftest import reset_caches
from router.desk.tokens import issue_token
from router.storage.db import session_scope
from support import serve_app


def _token(agent: str = "alice") -> dict[str, str]:
    with session_scope() as session:
        return {"Authorization": f"Bearer {issue_token(session, agent, actor='test')}"}


@pytest.fixture
def limited(db_url, broker, monkeypatch):
    """Two web processes' worth of apps (each its own limiter) at 3 requests a minute."""
    from router.web.app import create_app

    monkeypatch.setenv("MSGROUTER_API_RATE_LIMIT", "3/minute")
    reset_caches()
    with ExitStack() as stack:
        yield [stack.enter_context(serve_app(create_app())) for _ in range(2)]


def test_past_the_rate_a_token_gets_429_with_retry_after(limited):
    base = limited[0]
    alice = _token()
    assert [httpx.get(f"{base}/api/me", headers=alice).status_code for _ in range(3)] == [200] * 3
    refused = httpx.get(f"{base}/api/pools", headers=alice)
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert "3 per 1 minute" in refused.json()["detail"]
    # Another token (another device, another agent) has its own count.
    assert httpx.get(f"{base}/api/me", headers=_token("bob")).status_code == 200
    # Health and metrics are not the API: never limited.
    assert httpx.get(f"{base}/healthz").status_code == 200


def test_web_processes_sharing_redis_share_the_count(limited):
    first, second = limited
    alice = _token()
    statuses = [httpx.get(f"{base}/api/me", headers=alice).status_code for base in (first, second, first, second)]
    assert statuses == [200, 200, 200, 429]


def test_requests_without_a_token_are_limited_by_address(limited):
    base = limited[0]
    statuses = [httpx.get(f"{base}/api/me").status_code for _ in range(4)]
    assert statuses == [401, 401, 401, 429]


def test_embedded_mode_counts_in_memory(db_url, monkeypatch):
    from router.web.app import create_app

    monkeypatch.setenv("MSGROUTER_BROKER_URL", "memory://localhost/")
    monkeypatch.setenv("MSGROUTER_API_RATE_LIMIT", "2/minute")
    reset_caches()
    alice = _token()
    with serve_app(create_app()) as base:
        statuses = [httpx.get(f"{base}/api/me", headers=alice).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
