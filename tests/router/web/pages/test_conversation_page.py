"""The conversation page's reassign form and macros, and the whole thread across channels
(issue 20), over real HTTP against the running app, on both databases. Each form calls
the API's route, so its refusals are the API's, shown on the page."""
from __future__ import annotations

import html
import re
import uuid

from sqlalchemy import select

from channels.base import Inbound
from config.desk import get_desk
from dashboard import csrf_of, signed_in
from desk_roles import MEMBER, SUPERVISOR, security_cases
from pipeline_support import ingest
from router.delivery.outbox import deliver_pending
from router.queue.drain import drain_inbound
from router.queue.intake import accept
from router.storage.db import session_scope
from router.storage.models import Agent, Conversation, Event, Identity, Message, Pool
from support import make_email

_DRAFT = re.compile(r'<form method="post" action="/conversations/\d+/reply"[^>]*>.*?<textarea[^>]*>(.*?)</textarea>',
                    re.DOTALL)


def _placement(cid: int) -> tuple[str | None, str | None]:
    with session_scope() as session:
        c = session.get(Conversation, cid)
        pool = session.get(Pool, c.pool_id) if c.pool_id else None
        agent = session.get(Agent, c.assignee_id) if c.assignee_id else None
        return (pool.name if pool else None, agent.name if agent else None)


def _options(page: str, name: str) -> list[str]:
    select_ = re.search(rf'<select name="{name}"[^>]*>(.*?)</select>', page, re.DOTALL)
    return re.findall(r'<option value="([^"]*)"', select_.group(1)) if select_ else []


def _draft(page: str) -> str:
    found = _DRAFT.search(page)
    assert found, "no reply form on the page"
    return html.unescape(found.group(1))


def test_the_reassign_form_moves_the_case_to_another_agent_of_the_pool(api, broker):
    base, _ = api
    [cid] = security_cases(1)
    alice = signed_in(base, MEMBER)
    page = alice.get(f"/conversations/{cid}").text
    # The security pool's agents, each with presence and load; the pools alice may move into.
    assert set(_options(page, "agent")) == {"", "alice", "dan"}
    assert re.search(r"Dan Wang \(dan\) · [^<]+ · \d+/10", page)
    assert _options(page, "pool") == ["", "supervisors", "transactions"]
    moved = alice.post(f"/conversations/{cid}/reassign", data={"csrf": csrf_of(alice, "/work"), "agent": "dan"})
    assert moved.status_code == 303 and moved.headers["location"] == f"/conversations/{cid}?done=reassigned"
    assert _placement(cid) == ("security", "dan")
    assert 'id="assignee">dan<' in alice.get(moved.headers["location"]).text
    with session_scope() as session:
        event = session.execute(select(Event).where(Event.conversation_id == cid,
                                                    Event.kind == "reassigned")).scalar_one()
    assert event.actor == MEMBER and event.data["agent"][1] == "dan"


def test_a_refused_reassignment_is_shown_on_the_page_and_changes_nothing(api, broker):
    base, _ = api
    [cid] = security_cases(1)
    before = _placement(cid)
    alice = signed_in(base, MEMBER)
    token = csrf_of(alice, "/work")
    for form, status, words in (({"pool": "tech"}, 403, "you are not a member of pool &#39;tech&#39;"),
                                ({"agent": "carol"}, 409, "carol is not a member of this conversation&#39;s pool"),
                                ({"agent": "nobody"}, 409, "unknown agent &#39;nobody&#39;"),
                                ({}, 422, "give an agent, a pool, or both")):
        refused = alice.post(f"/conversations/{cid}/reassign", data={"csrf": token, **form})
        assert refused.status_code == status, (form, refused.text[:300])
        assert 'id="reassign-error"' in refused.text and words in refused.text, form
        assert 'id="reply-form"' in refused.text  # the whole page, not a bare error
    assert _placement(cid) == before


def test_a_supervisor_moves_a_case_to_any_pool_from_the_page(api, broker):
    base, _ = api
    [cid] = security_cases(1)
    erin = signed_in(base, SUPERVISOR)
    page = erin.get(f"/conversations/{cid}").text
    assert _options(page, "pool") == ["", "accounts", "complaints", "general", "supervisors", "tech", "transactions",
                                       "triage"]
    moved = erin.post(f"/conversations/{cid}/reassign", data={"csrf": csrf_of(erin, "/work"), "pool": "general"})
    assert moved.status_code == 303
    assert _placement(cid)[0] == "general"


def test_macros_come_in_the_conversations_language_and_fill_the_draft(api, broker, sink):
    base, _ = api
    zh = ingest(make_email(sender=f"wei-{uuid.uuid4().hex[:6]}@example.com", name="王伟", subject="提现未到账",
                           text="我昨天提现的 500 USDT 到现在还没有到账，请帮忙查一下。")).conversation_id
    # A name that looks like placeholders and a format string: written as typed, never expanded.
    en = ingest(make_email(sender=f"sam-{uuid.uuid4().hex[:6]}@example.com", name="Sam {case} {0.__class__}",
                           subject="Fees", text="Which fee do you charge for a transfer to another wallet?"))
    erin = signed_in(base, SUPERVISOR)
    desk = get_desk()

    zh_page = erin.get(f"/conversations/{zh}").text
    assert _options(zh_page, "macro") == list(desk.macros)
    assert "王伟，您好" in html.unescape(zh_page) and f"工单 #{zh}" in html.unescape(zh_page)
    assert _draft(zh_page) == ""

    chosen = erin.get(f"/conversations/{en.conversation_id}", params={"macro": "checking"})
    draft = _draft(chosen.text)
    assert draft.startswith("Hello Sam {case} {0.__class__},")
    assert f"case #{en.conversation_id}" in draft and draft.endswith("Erin Zhao\nPinecone Wallet Support")
    unknown = erin.get(f"/conversations/{en.conversation_id}", params={"macro": "nope"})
    assert unknown.status_code == 200 and "nope" in unknown.text and _draft(unknown.text) == ""

    # Sent as any reply: the customer gets the macro's words.
    sent = erin.post(f"/conversations/{en.conversation_id}/reply", data={"csrf": csrf_of(erin, "/work"), "text": draft})
    assert sent.status_code == 303
    deliver_pending()
    bodies = [m.get_body(("plain",)).get_content() for m in sink.parsed() if m["To"] == en.sender]
    assert any(b.startswith("Hello Sam {case} {0.__class__},") for b in bodies), bodies


def test_a_macro_edited_into_asking_for_a_secret_is_refused_at_send(api, broker, sink):
    base, _ = api
    [cid] = security_cases(1)
    alice = signed_in(base, MEMBER)
    draft = _draft(alice.get(f"/conversations/{cid}", params={"macro": "funds-at-risk"}).text)
    asking = "Also send us your old recovery phrase so we can check it."
    edited = draft.replace("Then reply in case", f"{asking} Then reply in case")
    refused = alice.post(f"/conversations/{cid}/reply", data={"csrf": csrf_of(alice, "/work"), "text": edited})
    assert refused.status_code == 422 and 'id="reply-error"' in refused.text
    with session_scope() as session:
        sent = session.execute(select(Message.text).where(Message.conversation_id == cid, Message.direction == "out",
                                                          Message.automatic.is_(False))).scalars().all()
    assert sent == []


def test_the_page_shows_the_customers_thread_and_cases_on_every_channel(api, broker):
    """A customer known by email and by Telegram: each conversation's page names both
    identities and links the other; a form and the mail answering it are one thread."""
    base, _ = api
    address = f"lin-{uuid.uuid4().hex[:6]}@example.com"
    form = accept(Inbound(channel="webform", external_id=f"<form.{uuid.uuid4().hex}@pinecone.example>",
                          sender=address, sender_name="Lin", subject="Deposit not credited",
                          text="My deposit of 0.2 ETH has not shown up in the app."))
    drain_inbound()
    with session_scope() as session:
        first = session.get(Message, form.message_id)
        cid = first.conversation_id
        customer_id = session.get(Conversation, cid).customer_id
        # The desk knows the same person on Telegram (a link made outside this test's doors).
        session.add(Identity(customer_id=customer_id, channel="telegram", address="777001"))
    mail = ingest(make_email(sender=address, subject=f"Re: Deposit not credited [#{cid}]",
                             text="Here is the transaction hash: 0xabc123"))
    accept(Inbound(channel="telegram", external_id="777001:5", sender="777001", sender_name="Lin",
                   text="Hello, any news on my deposit?"))
    drain_inbound()
    with session_scope() as session:
        telegram = session.execute(select(Conversation.id).where(Conversation.customer_id == customer_id,
                                                                 Conversation.channel == "telegram")).scalar_one()
    assert mail.conversation_id == cid

    erin = signed_in(base, SUPERVISOR)
    page = erin.get(f"/conversations/{cid}").text
    channels = re.findall(r'class="message in[^"]*" data-channel="(\w+)"', page)
    assert channels == ["webform", "email"]
    assert "0xabc123" in page and "0.2 ETH" in page
    assert f"{'telegram'}: 777001" in page and f"email: {address}" in page
    assert f'<a href="/conversations/{telegram}">#{telegram}</a> telegram' in page
    other = erin.get(f"/conversations/{telegram}").text
    assert "any news on my deposit" in other and f'<a href="/conversations/{cid}">#{cid}</a> webform' in other
