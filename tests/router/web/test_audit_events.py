"""The audit trail in the event log: who replied, relabelled, reassigned and resolved a
conversation, and who issued or revoked which agent's token, over real HTTP and the CLI,
with the data a reviewer needs and never the reply's text or a token."""
from __future__ import annotations

import json

import httpx
from sqlalchemy import select
from typer.testing import CliRunner

from desk_roles import ADMIN, MEMBER, SUPERVISOR, security_cases
from router.cli import app as cli_app
from router.storage.db import session_scope
from router.storage.models import Event

REPLY = "We froze the withdrawal address on our side; please confirm the last transfer you made."


def _events(kind: str, conversation_id: int | None = None) -> list[Event]:
    with session_scope() as session:
        query = select(Event).where(Event.kind == kind)
        if conversation_id is not None:
            query = query.where(Event.conversation_id == conversation_id)
        return list(session.execute(query.order_by(Event.id)).scalars())


def _all_event_text() -> str:
    with session_scope() as session:
        return "\n".join(json.dumps([e.kind, e.actor, e.data]) for e in session.execute(select(Event)).scalars())


def test_reply_relabel_reassign_and_resolve_name_who_did_them(api, broker):
    base, auth = api
    cid = security_cases(1)[0]
    alice, erin = auth(MEMBER), auth(SUPERVISOR)

    reply = httpx.post(f"{base}/api/conversations/{cid}/reply", headers=alice, json={"text": REPLY})
    assert reply.status_code == 201
    [replied] = _events("replied", cid)
    assert (replied.actor, replied.message_id) == ("alice", reply.json()["message_id"])

    assert httpx.post(f"{base}/api/conversations/{cid}/labels", headers=alice,
                      json={"urgency": "low"}).status_code == 200
    [corrected] = _events("corrected", cid)
    assert corrected.actor == "alice"
    assert corrected.data == {"category": ["security", "security"], "urgency": ["critical", "low"]}

    holder = httpx.get(f"{base}/api/conversations/{cid}", headers=erin).json()["assignee"]
    moved = httpx.post(f"{base}/api/conversations/{cid}/reassign", headers=erin,
                       json={"pool": "transactions", "agent": "bob"})
    assert moved.status_code == 200
    [reassigned] = _events("reassigned", cid)
    assert reassigned.actor == "erin"
    assert reassigned.data == {"pool": ["security", "transactions"], "agent": [holder, "bob"]}
    # Naming the agent already holding it changes nothing, so nothing is recorded.
    assert httpx.post(f"{base}/api/conversations/{cid}/reassign", headers=erin,
                      json={"agent": "bob"}).status_code == 200
    assert len(_events("reassigned", cid)) == 1

    assert httpx.post(f"{base}/api/conversations/{cid}/resolve", headers=auth("bob")).status_code == 200
    [resolved] = _events("resolved", cid)
    assert resolved.actor == "bob"
    assert REPLY not in _all_event_text(), "the reply's text stays in its message, not the audit trail"


def test_tokens_issued_and_revoked_name_the_admin_and_never_the_token(api):
    base, auth = api
    admin = auth(ADMIN)
    issued = httpx.post(f"{base}/api/agents/bob/tokens", headers=admin, json={"name": "laptop"})
    assert issued.status_code == 201
    assert httpx.delete(f"{base}/api/agents/bob/tokens/laptop", headers=admin).status_code == 204

    by_frank = [e for e in _events("token_issued") if e.actor == "frank"]
    assert [(e.conversation_id, e.data) for e in by_frank] == [(None, {"agent": "bob", "token_name": "laptop"})]
    [revoked] = _events("token_revoked")
    assert (revoked.actor, revoked.data) == ("frank", {"agent": "bob", "token_name": "laptop"})
    token = issued.json()["token"]
    assert token not in _all_event_text() and token.removeprefix("mr_") not in _all_event_text()


def test_tokens_issued_and_revoked_at_the_shell_are_audited_as_the_cli(db_url):
    runner = CliRunner()
    issued = runner.invoke(cli_app, ["token", "carol", "--name", "phone"])
    assert issued.exit_code == 0, issued.output
    assert runner.invoke(cli_app, ["token", "carol", "--revoke", "phone"]).exit_code == 0
    assert [(e.actor, e.data) for e in _events("token_issued")] == [("cli", {"agent": "carol", "token_name": "phone"})]
    assert [(e.actor, e.data) for e in _events("token_revoked")] == [("cli", {"agent": "carol", "token_name": "phone"})]
    assert issued.output.strip().splitlines()[-1] not in _all_event_text()
