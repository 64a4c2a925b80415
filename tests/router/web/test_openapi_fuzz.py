"""schemathesis against the app's own OpenAPI schema, over real HTTP, on both databases.

A seeded desk (mail through the real SMTP parser, intake and pipeline: a critical case,
a withdrawal in Chinese with attachments, a plain question, an agent's reply) serves
every operation of the schema; schemathesis generates valid and invalid requests from
the schema with an admin's token (who may call every route) and checks each answer: no
5xx, a status code the operation documents, a Content-Type and headers it documents, and
a body that matches the documented model. `MSGROUTER_FUZZ_EXAMPLES` sets the number of
generated requests per operation (default 20, a few seconds per database).
"""
from __future__ import annotations

import os
from collections import Counter
from email.message import EmailMessage
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from pipeline_support import ingest
from router.desk.tokens import issue_token
from router.storage.db import session_scope
from router.web.app import create_app
from support import free_port, serve_app
from telegram_support import SECRET as TELEGRAM_SECRET
from telegram_support import point_at
from telegram_support import update as telegram_update

EXAMPLES = int(os.environ.get("MSGROUTER_FUZZ_EXAMPLES", "20"))
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_headers_conformance, response_schema_conformance]
ALICE_TOKENS = ("phone", "laptop", "script")
# Values that broke this API before or break APIs like it, mixed into the generated strings
# and integers now and then: random generation alone rarely draws a NUL or an id one past
# what PostgreSQL's integer holds. (No lone surrogate: the HTTP client cannot encode one;
# tests/router/web/test_validation.py sends them by hand.)
HOSTILE = schemathesis.Config.from_dict({
    "dictionaries": {
        "hostile-strings": {"values": ["\x00", "x\x00y", "%00", "\r\nX-Injected: 1",
                                       "../../etc/passwd", "' OR '1'='1", "名前", "\u202egnp.exe", "x" * 101]},
        "hostile-integers": {"values": [0, -1, 2**31 - 1, 2**31, 2**63 - 1, 2**63, 2**64]},
    },
    "generation": {"dictionaries": {"string": {"dictionary": "hostile-strings", "probability": 0.2},
                                    "integer": {"dictionary": "hostile-integers", "probability": 0.2}}},
})
OPERATIONS = {
    ("GET", "/healthz"), ("GET", "/readyz"),
    ("GET", "/api/me"), ("GET", "/api/me/conversations"), ("GET", "/api/pools"), ("GET", "/api/pools/{name}/queue"),
    ("PUT", "/api/me/presence"),
    ("GET", "/api/conversations/{conversation_id}"), ("POST", "/api/conversations/{conversation_id}/reply"),
    ("POST", "/api/conversations/{conversation_id}/resolve"), ("POST", "/api/conversations/{conversation_id}/reassign"),
    ("POST", "/api/conversations/{conversation_id}/labels"),
    ("POST", "/api/conversations/{conversation_id}/investigating"),
    ("DELETE", "/api/conversations/{conversation_id}/investigating"),
    ("POST", "/api/conversations/{conversation_id}/notes"),
    ("GET", "/api/agents"), ("GET", "/api/agents/{name}/tokens"), ("POST", "/api/agents/{name}/tokens"),
    ("DELETE", "/api/agents/{name}/tokens/{token_name}"),
    ("GET", "/api/parked"), ("GET", "/api/outbound"), ("GET", "/api/reports/sla"),
    ("GET", "/api/reports/summary"),
    ("GET", "/chat/demo"), ("POST", "/forms/contact"), ("POST", "/channels/telegram/webhook"),
    ("GET", "/channels/wechat"), ("POST", "/channels/wechat"),
}
# WeChat signs its calls with the official account's token: without that channel set up
# here, its door answers 404 to everything (documented), never a success.
NO_SUCCESS_HERE = {"GET /channels/wechat", "POST /channels/wechat"}


def _mail(sender: str, subject: str, text: str, *attachments: tuple[bytes, str, str, str]) -> EmailMessage:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = sender, "support@pinecone.example", subject
    msg["Message-ID"] = f"<fuzz.{abs(hash((sender, subject)))}@example.com>"
    msg.set_content(text)
    for data, maintype, subtype, filename in attachments:
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    return msg


def _seed(base: str, admin: dict[str, str]) -> list[int]:
    """A few conversations through the real pipeline, an agent's reply in one, and tokens
    of alice's for the admin routes to list and revoke."""
    stolen = ingest(_mail("victim@example.com", "Stolen funds",
                          "My wallet was emptied, all my ETH is gone and I made no transfer!"))
    withdrawal = ingest(_mail("Wei <wei@example.com>", "提现一直未到账", "我昨天提现的 500 USDT 到现在还没有到账。",
                              (b"txid 0xabc\n", "text", "plain", "receipt.txt"),
                              (b"%PDF-1.4 fake", "application", "pdf", "statement.pdf")))
    question = ingest(_mail("curious@example.com", "Countries", "Which countries do you support?"))
    reply = httpx.post(f"{base}/api/conversations/{stolen.conversation_id}/reply", headers=admin,
                       json={"text": "We are looking into it and will write again within the hour."})
    assert reply.status_code == 201, reply.text
    with session_scope() as session:
        for name in ALICE_TOKENS:
            issue_token(session, "alice", name, actor="test")
    return [stolen.conversation_id, withdrawal.conversation_id, question.conversation_id]


def _aims(conversations: list[int]) -> dict[str, list[dict[str, Any]]]:
    """Per path, requests aimed at what the seeded desk holds (`as_strategy` arguments; the
    rest is generated): random ids, names and labels almost always miss (404, 409, 422),
    and each route's real work is behind the ones that hit."""
    def on_each(*bodies: dict[str, Any]) -> list[dict[str, Any]]:
        # An empty body stands for a generated one.
        return [{"path_parameters": {"conversation_id": c}, **({"body": b} if b else {})}
                for c in conversations for b in (bodies or ({},))]

    conversation = "/api/conversations/{conversation_id}"
    form = {"name": "Visitor", "email": "visitor@example.com", "subject": "Fees",
            "message": "What does a transfer cost?"}
    return {
        "/api/pools/{name}/queue": [{"path_parameters": {"name": p}} for p in ("security", "transactions", "general")],
        conversation: on_each(),
        conversation + "/reply": on_each(),
        conversation + "/resolve": on_each(),
        # An empty body: generated, as it is for the other routes; the rest are moves and
        # labels the desk takes.
        conversation + "/reassign": on_each({}, {"agent": "dan"}, {"pool": "general"},
                                            {"agent": "carol", "pool": "tech"}),
        conversation + "/labels": on_each({}, {"urgency": "low"}, {"category": "security", "urgency": "critical"}),
        conversation + "/investigating": on_each({}, {"status_update": False}, {"status_update": True}),
        conversation + "/notes": on_each({}, {"text": "Customer phoned: the deposit was sent on the wrong network."}),
        "/api/agents/{name}/tokens": [{"path_parameters": {"name": a}} for a in ("alice", "carol")],
        "/api/agents/{name}/tokens/{token_name}": [{"path_parameters": {"name": "alice", "token_name": t}}
                                                   for t in ALICE_TOKENS],
        "/forms/contact": [{"body": form, "media_type": kind}
                           for kind in ("application/json", "application/x-www-form-urlencoded")],
        "/channels/telegram/webhook": [{"body": telegram_update(name)}
                                       for name in ("private_text", "edited_text", "start", "group_text")],
    }


@pytest.fixture
def desk_schema(db_url, broker, monkeypatch):
    # The fuzzer sends far more than an agent would: the API's and the form's rate limits
    # are tried by their own tests. The Telegram door is open (its secret is sent with
    # every request) so its parser is fuzzed too; its Bot API is a closed local port, so
    # nothing here reaches Telegram (and no aimed update has a file to fetch).
    monkeypatch.setenv("MSGROUTER_API_RATE_LIMIT", "100000/minute")
    monkeypatch.setenv("MSGROUTER_FORM_RATE_PER_IP", "100000 per hour")
    monkeypatch.setenv("MSGROUTER_FORM_RATE_PER_ADDRESS", "100000 per hour")
    monkeypatch.setenv("MSGROUTER_CHAT_DEMO", "true")  # so its page is served, not 404
    monkeypatch.setenv("MSGROUTER_CHAT_SECRET", "fuzz-chat-secret")
    point_at(monkeypatch, f"http://127.0.0.1:{free_port()}/bot")
    with session_scope() as session:
        token = issue_token(session, "frank", "fuzz", actor="test")  # the admin: every route is his
    headers = {"Authorization": f"Bearer {token}", "X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET}
    with serve_app(create_app()) as base:
        aims = _aims(_seed(base, headers))
        schema = schemathesis.openapi.from_url(f"{base}/openapi.json", config=HOSTILE)
        schema.config.update(headers=headers)
        yield schema, aims


def _operations(schema) -> list:
    """In the schema's order, but resolving last: a resolved conversation refuses replies
    and moves (409), which would leave those routes' work unreached."""
    operations = [result.ok() for result in schema.get_all_operations()]
    return sorted(operations, key=lambda op: op.path.endswith("/resolve"))


def _fuzz(operation, aims: list[dict[str, Any]], seen: Counter) -> None:
    """Valid and invalid requests for one operation, and valid ones aimed at the seeded
    desk, each answer checked; `seen` counts the status codes."""
    modes = (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
    strategies = [operation.as_strategy(mode) for mode in modes]
    # With a body given, only the rest of the request is generated, and it stays valid.
    strategies += [operation.as_strategy(mode, **aim) for aim in aims
                   for mode in (modes if "body" not in aim else modes[:1])]

    # No shrinking: a failure is reported as schemathesis found it, with its curl line.
    @settings(max_examples=EXAMPLES, deadline=None, database=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck))
    @given(case=st.one_of(*strategies))
    def run(case) -> None:
        seen[case.call_and_validate(checks=CHECKS).status_code] += 1

    run()


def test_the_schema_lists_every_operation(desk_schema):
    """What the fuzz below walks: every route the app documents (so a route left out of
    the schema, or a schema that failed to load, does not pass unseen)."""
    schema, _ = desk_schema
    assert {(op.method.upper(), op.path) for op in _operations(schema)} == OPERATIONS


def _aimed(operation, aims: dict[str, list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """The path's aims for this operation: without a body for one that takes none (a
    DELETE beside a POST on the same path)."""
    aimed = aims.get(operation.path, [])
    if operation.method.upper() in ("GET", "DELETE"):
        aimed = [{k: v for k, v in aim.items() if k not in ("body", "media_type")} for aim in aimed]
    return aimed


def test_every_operation_answers_as_its_schema_says(desk_schema):
    schema, aims = desk_schema
    failures, answered = [], {}
    for operation in _operations(schema):
        answered[operation.label] = seen = Counter()
        try:
            _fuzz(operation, _aimed(operation, aims), seen)
        except (Exception, BaseExceptionGroup) as exc:  # noqa: BLE001 - every operation is tried, all reported
            failures.append(f"{operation.label}: {exc}")
    print("\n".join(f"{label}: {dict(sorted(seen.items()))}" for label, seen in answered.items()))
    assert not failures, "\n\n".join(failures)
    # A fuzz that only ever met 404s and 422s would pass without trying the routes' work.
    assert [label for label, seen in answered.items()
            if label not in NO_SUCCESS_HERE and not any(200 <= code < 300 for code in seen)] == []


