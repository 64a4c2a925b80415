"""Bad input to the agent API gets a 4xx naming what is wrong, never a 500 (issue 16,
finding 7): ids past what the database holds, text no database can store, control
characters in a pool name, bodies over the size limit. Over HTTP, on both databases."""
from __future__ import annotations

import httpx
import pytest
from sqlalchemy import func, select

from channels.base import Inbound
from router.queue.drain import drain_inbound
from router.queue.intake import accept
from router.storage.db import session_scope
from router.storage.models import Conversation, Message


def _conversation() -> int:
    accept(Inbound(channel="email", external_id="<validation@x>", sender="v@example.com",
                   subject="Help", text="My withdrawal has not arrived."))
    drain_inbound()
    with session_scope() as session:
        return session.execute(select(func.max(Conversation.id))).scalar_one()


def _outbound_count() -> int:
    with session_scope() as session:
        return session.execute(select(func.count()).select_from(Message).where(Message.direction == "out",
                                                                               Message.author_id.is_not(None))).scalar_one()


@pytest.mark.parametrize("big", [2**31, 2**63, 2**64 + 5])
def test_ids_past_what_the_database_holds_are_422(api, big):
    base, auth = api
    headers = auth()
    for method, path, body in [("GET", f"/api/conversations/{big}", None),
                               ("POST", f"/api/conversations/{big}/reply", {"text": "hello"}),
                               ("POST", f"/api/conversations/{big}/resolve", None),
                               ("POST", f"/api/conversations/{big}/reassign", {"pool": "general"}),
                               ("POST", f"/api/conversations/{big}/labels", {"urgency": "low"}),
                               ("GET", f"/api/pools/general/queue?offset={big}", None),
                               ("GET", f"/api/me/conversations?offset={big}", None)]:
        response = httpx.request(method, base + path, headers=headers, json=body)
        assert response.status_code == 422, (method, path, response.status_code, response.text)
        location = response.json()["detail"][0]["loc"]
        assert location[-1] in ("conversation_id", "offset"), location
    # The largest id a PostgreSQL integer holds is an id like any other: not found.
    assert httpx.get(f"{base}/api/conversations/{2**31 - 1}", headers=headers).status_code == 404
    assert httpx.get(f"{base}/api/conversations/0", headers=headers).status_code == 422


@pytest.mark.parametrize(("raw", "what"), [(b'{"text": "hello\\u0000world"}', "NUL"),
                                           (b'{"text": "hello \\ud800 world"}', "unicode"),
                                           (b'{"text": "\\udfff"}', "unicode")])
def test_reply_text_no_database_can_store_is_422_naming_the_field(api, broker, raw, what):
    base, auth = api
    cid = _conversation()
    response = httpx.post(f"{base}/api/conversations/{cid}/reply", content=raw,
                          headers={**auth(), "Content-Type": "application/json"})
    assert response.status_code == 422, response.text
    error = response.json()["detail"][0]
    assert error["loc"] == ["body", "text"] and what in error["msg"], error
    assert _outbound_count() == 0, "nothing was queued"


def test_nul_in_other_body_fields_is_422(api, broker):
    base, auth = api
    cid = _conversation()
    for path, raw, field in [("reassign", b'{"pool": "gen\\u0000eral"}', "pool"),
                             ("reassign", b'{"agent": "alice\\ud800"}', "agent"),
                             ("labels", b'{"category": "security\\u0000"}', "category")]:
        response = httpx.post(f"{base}/api/conversations/{cid}/{path}", content=raw,
                              headers={**auth(), "Content-Type": "application/json"})
        assert response.status_code == 422, (path, response.text)
        assert response.json()["detail"][0]["loc"] == ["body", field]


@pytest.mark.parametrize("name", ["gen%00eral", "%00", "a%0Ab", "x" * 101])
def test_pool_names_with_control_characters_are_422(api, name):
    base, auth = api
    response = httpx.get(f"{base}/api/pools/{name}/queue", headers=auth())
    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["loc"] == ["path", "name"]


@pytest.mark.parametrize(("method", "path"), [("GET", "/api/agents/ali%00ce/tokens"),
                                            ("POST", "/api/agents/ali%00ce/tokens"),
                                            ("DELETE", "/api/agents/ali%00ce/tokens/laptop"),
                                            ("DELETE", "/api/agents/alice/tokens/lap%00top")])
def test_agent_and_token_names_with_a_nul_are_422_not_a_database_error(api, method, path):
    """On PostgreSQL the NUL reached the name lookup, which failed with a 500."""
    base, auth = api
    response = httpx.request(method, base + path, headers=auth("frank"), json={})
    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["loc"][0] == "path"


def test_a_pool_name_that_is_merely_unknown_is_404(api):
    base, auth = api
    assert httpx.get(f"{base}/api/pools/no-such.pool/queue", headers=auth()).status_code == 404


def _big_json(size: int) -> bytes:
    return b'{"text": "' + b"a" * size + b'"}'


def test_a_body_over_the_limit_is_413_by_its_declared_length(api, broker):
    base, auth = api
    cid = _conversation()
    response = httpx.post(f"{base}/api/conversations/{cid}/reply", content=_big_json(50 * 1024 * 1024),
                          headers={**auth(), "Content-Type": "application/json"}, timeout=60)
    assert response.status_code == 413, response.text
    assert "larger than 1048576 bytes" in response.json()["detail"]
    assert _outbound_count() == 0


def test_a_streamed_body_without_a_length_is_cut_off_at_the_limit(api, broker):
    base, auth = api
    cid = _conversation()
    sent = 0

    def chunks():  # no Content-Length: chunked transfer encoding, counted as it comes
        nonlocal sent
        yield b'{"text": "'
        for _ in range(50):  # 50 x 64 KB = 3.2 MB, well past the limit
            sent += 65536
            yield b"a" * 65536
        yield b'"}'

    response = httpx.post(f"{base}/api/conversations/{cid}/reply", content=chunks(),
                          headers={**auth(), "Content-Type": "application/json"}, timeout=60)
    assert response.status_code == 413, response.text
    assert _outbound_count() == 0


def test_a_body_under_the_limit_goes_through(api, broker):
    base, auth = api
    cid = _conversation()
    # The reply's own limit (50,000 characters) answers, not the body limit.
    too_long = httpx.post(f"{base}/api/conversations/{cid}/reply", content=_big_json(900_000),
                          headers={**auth(), "Content-Type": "application/json"})
    assert too_long.status_code == 422
    ok = httpx.post(f"{base}/api/conversations/{cid}/reply", json={"text": "We are looking into it."},
                    headers=auth())
    assert ok.status_code == 201, ok.text


def test_the_body_limit_is_a_setting(db_url, monkeypatch):
    from conftest import reset_caches
    from router.web.app import create_app
    from support import serve_app

    monkeypatch.setenv("MSGROUTER_MAX_REQUEST_BYTES", "100")
    reset_caches()
    with serve_app(create_app()) as base:
        response = httpx.post(f"{base}/api/conversations/1/reply", content=_big_json(200),
                              headers={"Content-Type": "application/json"})
    assert response.status_code == 413
    assert "larger than 100 bytes" in response.json()["detail"]
