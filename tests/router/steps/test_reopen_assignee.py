"""A resolved conversation that the customer reopens goes back to the agent who had
it, when that agent is online, in the pool and under capacity; otherwise the usual
choice (fewest open conversations)."""
from __future__ import annotations

import smtplib

import httpx
from sqlalchemy import select, update

from router.queue.drain import drain_inbound
from router.storage.db import session_scope
from router.storage.models import Agent, Conversation, Message
from support import make_email

POOL_PEERS = {"carol", "dan"}   # the demo desk's English-speaking agents of the `general` pool


def _mail(port: int, msg) -> None:
    with smtplib.SMTP("127.0.0.1", port) as smtp:
        smtp.send_message(msg)
    drain_inbound()


def _case(port: int, sender: str, text: str) -> tuple[int, str]:
    """A new case by mail; its conversation id and the customer's Message-ID."""
    msg = make_email(sender=sender, subject="Fees", text=text)
    _mail(port, msg)
    with session_scope() as session:
        conversation_id = session.execute(select(Message.conversation_id).where(
            Message.external_id == msg["Message-ID"])).scalar_one()
    return conversation_id, msg["Message-ID"]


def _conversation(base: str, headers: dict, conversation_id: int) -> dict:
    response = httpx.get(f"{base}/api/conversations/{conversation_id}", headers=headers)
    assert response.status_code == 200
    return response.json()


def _resolved_then_loaded(base: str, auth, port: int) -> tuple[int, str, str, str]:
    """Wei's case is answered by one agent and resolved; then that agent has more open
    conversations than their peer. Returns the case, Wei's Message-ID, the agent, the peer."""
    case, wei_message = _case(port, "wei@example.com", "What are the fees for sending BTC?")
    headers = auth()  # the supervisor: general is not alice's pool
    first = _conversation(base, headers, case)
    assert first["pool"] == "general" and first["assignee"] in POOL_PEERS
    agent = first["assignee"]
    [peer] = POOL_PEERS - {agent}
    assert httpx.post(f"{base}/api/conversations/{case}/resolve", headers=headers).status_code == 200
    # Two other customers' cases, both given to `agent`: now they have the most open.
    for n, sender in enumerate(["kim@example.com", "lee@example.com"]):
        other, _ = _case(port, sender, f"How much does it cost to send {n + 2} ETH?")
        moved = httpx.post(f"{base}/api/conversations/{other}/reassign", headers=headers, json={"agent": agent})
        assert moved.status_code == 200
    with session_scope() as session:
        loads = dict(session.execute(select(Agent.name, Agent.open_count).where(Agent.name.in_(POOL_PEERS))).all())
    assert loads[agent] > loads[peer], loads
    return case, wei_message, agent, peer


def _wei_writes_again(port: int, wei_message: str) -> None:
    _mail(port, make_email(sender="wei@example.com", subject="Re: Fees", text="Sorry, one more thing: is the "
                           "fee the same for USDT?", in_reply_to=wei_message, references=[wei_message]))


def test_reopened_conversation_returns_to_the_agent_who_had_it(api, smtp_port, broker):
    base, auth = api
    case, wei_message, agent, _peer = _resolved_then_loaded(base, auth, smtp_port)
    _wei_writes_again(smtp_port, wei_message)
    after = _conversation(base, auth(), case)
    assert after["state"] == "open"
    assert after["assignee"] == agent, f"went to {after['assignee']}, not back to {agent}"
    assert f"assigned to {agent}: had this conversation before it was resolved" in \
        [r["reason"] for r in after["reasons"]]


def test_reopened_conversation_of_an_offline_agent_goes_by_the_usual_rule(api, smtp_port, broker):
    base, auth = api
    case, wei_message, agent, peer = _resolved_then_loaded(base, auth, smtp_port)
    with session_scope() as session:
        session.execute(update(Agent).where(Agent.name == agent).values(status="offline"))
    _wei_writes_again(smtp_port, wei_message)
    after = _conversation(base, auth(), case)
    assert after["state"] == "open"
    assert after["assignee"] == peer
    with session_scope() as session:
        assert session.get(Conversation, case).assignee_id == session.execute(
            select(Agent.id).where(Agent.name == peer)).scalar_one()
