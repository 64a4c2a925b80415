"""The pipeline's outcomes, pinned: a fixed scenario of mail and agent actions in, and the
conversations, labels, pools, assignees, deadlines, events and outbound rows out must
equal the recorded ones (tests/router/pipeline_outcomes.json) on SQLite and PostgreSQL.

This is the guard for rewriting the pipeline (set-based steps, batching): a rewrite may
change how the work is done, never what comes out. The scenario is the benchmark's
generated mail plus the cases that make the steps branch: threading inside one batch, a
reply to our acknowledgement, the [#id] token from the customer and from a stranger,
duplicates in and out of the window, one sender's mails within the hour, automatic mail,
a secret, the acknowledgement cap over one mailbox's +tags,
an urgency raise that re-routes, an agent's reply then a follow-up, a resolve then a
reopen inside and outside the window.

After a deliberate change of behaviour, record the new outcomes with
`MSGROUTER_RECORD_OUTCOMES=1 pytest tests/router/test_pipeline_outcomes.py -k sqlite`
and read the diff of the JSON file before committing it.
"""
from __future__ import annotations

import json
import os
import re
import sys
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

import time_machine
from mnemonic import Mnemonic
from sqlalchemy import select

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
import channels.email as email_channel
from mailgen import generate
from router.desk import conversations as actions
from router.queue.drain import drain_inbound
from router.queue.intake import accept
from router.storage.db import session_scope
from router.storage.models import Agent, Conversation, Customer, Event, Identity, Message, Pool

RECORDED = Path(__file__).with_name("pipeline_outcomes.json")
START = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)  # a Monday morning
MNEMONIC = Mnemonic("english").to_mnemonic(bytes(range(16)))


def _mail(sender: str, subject: str, text: str, mid: str, *, reply_to: str = "",
          headers: dict[str, str] | None = None) -> EmailMessage:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"], msg["Message-ID"] = (
        sender, "support@pinecone.example", subject, mid)
    if reply_to:
        msg["In-Reply-To"] = msg["References"] = reply_to
    for key, value in (headers or {}).items():
        msg[key] = value
    msg.set_content(text)
    return msg


def _scenario() -> list[tuple]:
    """Steps: ("mail", msg), ("drain",), ("shift", seconds), or an action on the conversation
    opened by a given Message-ID: ("reply", key), ("resolve", key), ("to_ack", key, text),
    ("token", key, sender, text)."""
    bench = generate(160, seed=11)
    steps: list[tuple] = []
    for i, msg in enumerate(bench):
        steps.append(("mail", msg))
        steps.append(("shift", 7))
        if i % 40 == 39:
            steps.append(("drain",))
    first, second = bench[0], bench[1]
    recent = next(m for m in reversed(bench) if "In-Reply-To" not in m)
    steps += [
        # the same text from the same customer inside the window (attached), from someone
        # else (new), and from the same customer after the dedupe window (a message of its
        # own, which joins the sender's case opened within the hour: `repeat`)
        ("mail", _mail(str(recent["From"]), "again", recent.get_content(), "<dup.1@x.example>")),
        ("mail", _mail("other@x.example", "same words", recent.get_content(), "<dup.2@x.example>")),
        ("mail", _mail(str(first["From"]), "again", first.get_content(), "<dup.3@x.example>")),
        # automatic mail, and a customer who types their recovery phrase
        ("mail", _mail("robot@x.example", "Out of office", "I am away until Monday.", "<auto.1@x.example>",
                       headers={"Auto-Submitted": "auto-replied"})),
        ("mail", _mail("leaky@x.example", "help", f"my words are {MNEMONIC} please check my wallet",
                       "<secret.1@x.example>")),
        # one customer, five mails with five subjects within the hour: one case (`repeat`)
        *[("mail", _mail("busy@x.example", f"question {n}", f"What is the fee for sending {n} BTC?",
                         f"<busy.{n}@x.example>")) for n in range(5)],
        # a fee question whose follow-up is theft: urgency up, category changes, re-routed
        ("mail", _mail("fees@x.example", "fees", "What are your withdrawal fees?", "<fees.1@x.example>")),
        ("drain",),
        ("shift", 300),
        ("mail", _mail("fees@x.example", "Re: fees", "Now my balance is zero and I made no transfer, "
                       "someone took all my ETH!", "<fees.2@x.example>", reply_to="<fees.1@x.example>")),
        ("to_ack", "<busy.0@x.example>", "Thanks, any update on the fee?"),
        ("token", "<busy.3@x.example>", "busy@x.example", "Following up on my case."),
        ("token", "<busy.4@x.example>", "stranger@x.example", "I want to join this case."),
        ("drain",),
        ("shift", 600),
        ("reply", str(second["Message-ID"])),
        ("resolve", str(first["Message-ID"])),  # frees capacity: the queue's next case is assigned
        ("resolve", "<busy.1@x.example>"),
        ("resolve", "<busy.2@x.example>"),
        ("shift", 3600),
        ("to_ack", str(second["Message-ID"]), "I still have a question about this."),
        ("to_ack", "<busy.1@x.example>", "Sorry, one more thing about case one."),  # reopens
        ("drain",),
        ("shift", 8 * 86400),
        ("to_ack", "<busy.2@x.example>", "Writing again about case two after a long time."),
        ("drain",),
        # an autoresponder answering from a new +tag each time: four customers, one mailbox,
        # so the acknowledgement cap (3 a window) answers three of them
        *[("mail", _mail(f"Busy+auto{n}@x.example", f"auto {n}", f"Automatic notice number {n}.",
                         f"<tag.{n}@x.example>")) for n in range(4)],
        ("drain",),
    ]
    return steps


def _conversation_of(session, key: str) -> Conversation:
    return session.execute(select(Conversation).join(Message, Message.conversation_id == Conversation.id)
                           .where(Message.external_id == key)).scalars().one()


def _run(steps: list[tuple]) -> None:
    counter = 0
    with time_machine.travel(START, tick=False) as clock:
        for step in steps:
            kind = step[0]
            if kind == "mail":
                accept(email_channel.parse(step[1].as_bytes()))
            elif kind == "drain":
                drain_inbound()
            elif kind == "shift":
                clock.shift(timedelta(seconds=step[1]))
            else:
                counter += 1
                _act(step, counter)
        drain_inbound()


def _act(step: tuple, counter: int) -> None:
    kind, key = step[0], step[1]
    with session_scope() as session:
        conversation = _conversation_of(session, key)
        agent = session.get(Agent, conversation.assignee_id) if conversation.assignee_id else \
            session.execute(select(Agent).where(Agent.name == "alice")).scalars().one()
        customer_mail = session.execute(select(Message).where(
            Message.conversation_id == conversation.id, Message.direction == "in")
            .order_by(Message.id)).scalars().first()
        ours = session.execute(select(Message.external_id).where(
            Message.conversation_id == conversation.id, Message.direction == "out")
            .order_by(Message.id)).scalars().first()
        if kind == "reply":
            actions.reply(session, conversation, agent, "We are looking into it.")
        elif kind == "resolve":
            actions.resolve(session, conversation, agent)
        cid, sender, subject = conversation.id, customer_mail.sender, conversation.subject
    if kind == "to_ack":
        accept(email_channel.parse(_mail(sender, f"Re: {subject}", step[2], f"<act.{counter}@x.example>",
                                         reply_to=ours).as_bytes()))
    elif kind == "token":
        accept(email_channel.parse(_mail(step[2], f"Re: case [#{cid}]", step[3],
                                         f"<act.{counter}@x.example>").as_bytes()))


def _offset(value: datetime | None) -> float | None:
    return None if value is None else (value - START).total_seconds()


def _outcomes() -> dict:
    """Everything a person would look at, with database ids replaced by stable keys."""
    with session_scope() as session:
        messages = list(session.execute(select(Message).order_by(Message.id)).scalars())
        conversations = {c.id: c for c in session.execute(select(Conversation)).scalars()}
        first_in = {}
        for m in messages:
            if m.direction == "in" and m.conversation_id is not None:
                first_in.setdefault(m.conversation_id, m.external_id)
        ckey = {cid: first_in.get(cid, f"?{cid}") for cid in conversations}
        mkey = {m.id: (m.external_id if m.direction == "in" else f"out:{ckey.get(m.conversation_id)}:{n}")
                for n, m in enumerate(messages)}
        ours = {m.external_id: mkey[m.id] for m in messages if m.direction == "out"}
        pools = dict(session.execute(select(Pool.id, Pool.name)).all())
        agents = dict(session.execute(select(Agent.id, Agent.name)).all())
        addresses = dict(session.execute(select(Identity.customer_id, Identity.address)).all())
        cases = re.compile(r"#(\d+)")

        def text(value: str) -> str:
            return cases.sub(lambda m: f"#{ckey.get(int(m.group(1)), m.group(1))}", value)

        result = {"inbound": [], "outbound": [], "conversations": {}, "events": {}, "agents": {}}
        for m in messages:
            if m.direction == "in":
                result["inbound"].append([m.external_id, m.status, ckey.get(m.conversation_id), m.category,
                                          m.urgency, m.language, m.secret_kinds, m.auto_submitted, m.failed_step])
            else:
                result["outbound"].append([ckey.get(m.conversation_id), m.status, m.recipient, text(m.subject),
                                           text(m.text), m.automatic, m.language,
                                           ours.get(m.in_reply_to, m.in_reply_to),
                                           [ours.get(r, r) for r in m.references], agents.get(m.author_id)])
        for cid, c in sorted(conversations.items(), key=lambda item: ckey[item[0]]):
            result["conversations"][ckey[cid]] = {
                "customer": addresses.get(c.customer_id), "channel": c.channel, "subject": text(c.subject),
                "state": c.state, "category": c.category, "urgency": c.urgency, "language": c.language,
                "contains_secret": c.contains_secret, "pool": pools.get(c.pool_id),
                "assignee": agents.get(c.assignee_id),
                **{name: _offset(getattr(c, name)) for name in (
                    "created_at", "last_inbound_at", "first_replied_at", "resolved_at", "first_reply_due_at",
                    "next_reply_due_at", "resolution_due_at", "due_at")},
            }
        for e in session.execute(select(Event).order_by(Event.id)).scalars():
            data = json.dumps(e.data, sort_keys=True, ensure_ascii=False)
            result["events"].setdefault(ckey.get(e.conversation_id, "-"), []).append(
                f"{e.kind} {e.actor} {_offset(e.at)} {mkey.get(e.message_id)} {text(data)}")
        for events in result["events"].values():
            events.sort()  # the same events; the order of rows across one batch may differ
        for a in session.execute(select(Agent).order_by(Agent.name)).scalars():
            result["agents"][a.name] = [a.open_count, _offset(a.last_assigned_at)]
        result["customers"] = session.execute(select(Customer.id)).all().__len__()
    return result


def test_the_pipeline_gives_the_recorded_outcomes(db_url):
    _run(_scenario())
    got = _outcomes()
    if os.environ.get("MSGROUTER_RECORD_OUTCOMES") == "1":
        RECORDED.write_text(json.dumps(got, ensure_ascii=False, indent=1, sort_keys=True) + "\n")
    expected = json.loads(RECORDED.read_text())
    for part in ("inbound", "conversations", "outbound", "agents", "customers", "events"):
        assert got[part] == expected[part], f"{part} differ from {RECORDED.name}"
