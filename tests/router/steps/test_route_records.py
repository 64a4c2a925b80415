"""route: a new conversation goes to the pool of the first routing rule that matches, and
says so three ways: the `routed` event (pool and rule, on the message that routed it), the
route reason the dashboard shows, and the log line the README documents (with the
message's and the conversation's ids as fields). A later message of the conversation routes
nothing: the conversation stays where it is, even in a pool an agent moved it to. A raised
urgency that changes the category routes it again; its agent keeps it when they belong to
the new pool."""
from __future__ import annotations

import logging
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select, update

from channels.base import Inbound
from conftest import reset_caches
from customer_mail import show, write_in
from router.queue.drain import drain_inbound
from router.queue.intake import accept
from router.storage.db import session_scope
from router.storage.models import Agent, Message

ROOT = Path(__file__).resolve().parents[3]
SHIPPED_MODEL = ROOT / "config" / "triage-model.npz"

FEES = "What are the fees for sending BTC?"  # policy, normal: the catch-all rule, routing[5]
EMPTIED = "My wallet was emptied, all my ETH is gone and I made no transfer!"  # security, critical: routing[0]
CALM = "Also, is the fee the same for sending ETH?"  # policy, normal again


def _inbound_ids(cid: int) -> list[int]:
    with session_scope() as session:
        return list(session.execute(select(Message.id).where(Message.conversation_id == cid,
                                                             Message.direction == "in")
                                    .order_by(Message.id)).scalars())


def _route_lines(caplog) -> list[tuple[str, int | None, int | None]]:
    return [(r.getMessage(), getattr(r, "message_id", None), getattr(r, "conversation_id", None))
            for r in caplog.records if r.name == "router.steps.route"]


def _offline(name: str) -> None:
    with session_scope() as session:
        session.execute(update(Agent).where(Agent.name == name).values(status="offline"))


def test_a_new_conversation_is_routed_by_the_first_matching_rule_and_says_so(api, broker, caplog):
    caplog.set_level(logging.INFO, logger="router.steps.route")
    cid, _ = write_in(FEES, subject="Fees", sender="route@example.com")
    [message] = _inbound_ids(cid)
    shown = show(api, cid)
    assert (shown["category"], shown["urgency"], shown["pool"]) == ("policy", "normal", "general")
    assert [(e["message_id"], e["data"]) for e in shown["events"] if e["kind"] == "routed"] == \
        [(message, {"pool": "general", "rule": 5})]
    assert not [e for e in shown["events"] if e["kind"] == "unassigned"], "nobody had it to release"
    assert [(r["message_id"], r["reason"]) for r in shown["reasons"] if r["step"] == "route"] == \
        [(message, "routing[5]: category policy, language en -> pool general")]
    assert _route_lines(caplog) == [
        (f"message {message} routed to pool general by routing[5] (conversation {cid}, normal policy)", message, cid)]


def test_a_later_message_stays_in_the_pool_an_agent_moved_it_to(api, broker, caplog):
    base, auth = api
    cid, first_mail = write_in(FEES, subject="Fees", sender="moved@example.com")
    moved = httpx.post(f"{base}/api/conversations/{cid}/reassign", headers=auth(), json={"pool": "tech"})
    assert moved.status_code == 200, moved.text
    routed_before = [e["data"] for e in show(api, cid)["events"] if e["kind"] == "routed"]

    caplog.set_level(logging.INFO, logger="router.steps.route")
    write_in(CALM, subject="Re: Fees", sender="moved@example.com", in_reply_to=first_mail)
    later = _inbound_ids(cid)[-1]
    shown = show(api, cid)
    assert (shown["urgency"], shown["pool"]) == ("normal", "tech")
    assert [e["data"] for e in shown["events"] if e["kind"] == "routed"] == routed_before
    assert not [r for r in shown["reasons"] if r["step"] == "route" and r["message_id"] == later]
    assert _route_lines(caplog) == [(f"message {later} routed with conversation {cid}, in pool tech", later, cid)]


def test_a_raised_urgency_routes_again_and_a_member_of_the_new_pool_keeps_it(api, broker, caplog):
    _offline("carol")  # dan, in general and in security alike, takes the first mail
    cid, first_mail = write_in(FEES, subject="Fees", sender="raised@example.com")
    assert show(api, cid)["assignee"] == "dan"

    caplog.set_level(logging.INFO, logger="router.steps.route")
    write_in(EMPTIED, subject="Re: Fees", sender="raised@example.com", in_reply_to=first_mail)
    first, later = _inbound_ids(cid)
    shown = show(api, cid)
    assert (shown["category"], shown["urgency"], shown["pool"], shown["assignee"]) == \
        ("security", "critical", "security", "dan")
    assert [(e["message_id"], e["data"]) for e in shown["events"] if e["kind"] == "routed"] == \
        [(first, {"pool": "general", "rule": 5}), (later, {"pool": "security", "rule": 0})]
    assert [(e["kind"], e["data"]) for e in shown["events"] if e["kind"] in ("assigned", "unassigned")] == \
        [("assigned", {"agent": "dan"})], "dan was never released nor assigned it again"
    assert [(r["message_id"], r["reason"]) for r in shown["reasons"] if r["step"] == "route"] == [
        (first, "routing[5]: category policy, language en -> pool general"),
        (later, "routing[0]: category security, language en -> pool security")]
    assert _route_lines(caplog) == [
        (f"message {later} routed to pool security by routing[0] (conversation {cid}, critical security)", later, cid)]


def test_a_message_triage_is_unsure_of_opens_in_triage_and_says_which_rule_it_skipped(api, broker, caplog,
                                                                                        monkeypatch):
    # The shipped model is unsure of a message this vague (tests/router/test_triage_pool.py
    # checks that); the rules alone, the tests' default, park nothing.
    monkeypatch.setenv("MSGROUTER_MODEL_PATH", str(SHIPPED_MODEL))
    reset_caches()
    caplog.set_level(logging.INFO, logger="router.steps.route")
    accept(Inbound(channel="chat", external_id="route-vague-1", sender="vague@example.com", text="it happened again"))
    drain_inbound()
    with session_scope() as session:
        message, cid = session.execute(select(Message.id, Message.conversation_id)
                                       .where(Message.external_id == "route-vague-1")).one()
    shown = show(api, cid)
    assert shown["pool"] == "triage"
    assert [(e["message_id"], e["data"]) for e in shown["events"] if e["kind"] == "routed"] == \
        [(message, {"pool": "triage", "rule": "triage"})]
    [why] = [r["reason"] for r in shown["reasons"] if r["step"] == "route"]
    assert "pool triage" in why and why.endswith("(routing[5] would say pool general)"), why
    line = (f"message {message} routed to pool triage by routing[triage] "
            f"(conversation {cid}, {shown['urgency']} {shown['category']})")
    assert _route_lines(caplog) == [(line, message, cid)]


@pytest.fixture
def desk_with_a_language_rule(tmp_path, monkeypatch):
    """The demo desk with one more rule before the catch-all: Chinese messages no other
    rule took go to transactions, where the Chinese speakers are. Set before `db_url`
    syncs the desk."""
    shipped = (ROOT / "config" / "desk.toml").read_text("utf-8")
    catch_all = '[[routing]]\ncategory = "*"\npool = "general"\n'
    assert catch_all in shipped
    desk = tmp_path / "desk.toml"
    desk.write_text(shipped.replace(catch_all, '[[routing]]\ncategory = "*"\nlanguage = "zh"\npool = "transactions"\n\n'
                                    + catch_all), "utf-8")
    monkeypatch.setenv("MSGROUTER_DESK_CONFIG", str(desk))
    reset_caches()


def test_a_rule_for_one_language_takes_only_that_language(desk_with_a_language_rule, api, broker):
    chinese, _ = write_in("请问发送比特币的手续费是多少？", subject="手续费", sender="zh@example.com")
    english, _ = write_in(FEES, subject="Fees", sender="en@example.com")
    assert [(show(api, c)["language"], show(api, c)["pool"]) for c in (chinese, english)] == \
        [("zh", "transactions"), ("en", "general")]
    assert [e["data"] for e in show(api, chinese)["events"] if e["kind"] == "routed"] == \
        [{"pool": "transactions", "rule": 5}]
    assert [e["data"] for e in show(api, english)["events"] if e["kind"] == "routed"] == \
        [{"pool": "general", "rule": 6}]
