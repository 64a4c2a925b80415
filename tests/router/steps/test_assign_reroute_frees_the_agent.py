"""A customer's later message that raises the urgency and changes the category routes the
conversation again; when its agent is no member of the new pool the pipeline takes it
from them, gives one place of their capacity back (and no more, never below zero) and
assigns it to a member of the new pool, all in that one batch."""
from __future__ import annotations

from sqlalchemy import select, update

from customer_mail import show, write_in
from router.storage.db import session_scope
from router.storage.models import Agent

FEES = "What are the fees for sending BTC?"  # policy, normal: pool general (carol, dan)
EMPTIED = "My wallet was emptied, all my ETH is gone and I made no transfer!"  # security, critical


def _open_counts() -> dict[str, int]:
    with session_scope() as session:
        return dict(session.execute(select(Agent.name, Agent.open_count)).all())


def test_a_conversation_rerouted_away_from_its_agent_frees_one_place_each_time(api, broker):
    # dan is in general and security alike, so he would keep it: only carol, who is not
    # in security, holds the general work here, and alice takes the security work.
    with session_scope() as session:
        session.execute(update(Agent).where(Agent.name == "dan").values(status="offline"))
    first, first_mail = write_in(FEES, subject="Fees", sender="first@example.com")
    second, second_mail = write_in(FEES, subject="Fees", sender="second@example.com")
    assert [show(api, c)["assignee"] for c in (first, second)] == ["carol", "carol"]
    before = _open_counts()
    assert before["carol"] == 2

    write_in(EMPTIED, subject="Re: Fees", sender="first@example.com", in_reply_to=first_mail)
    moved = show(api, first)
    assert (moved["pool"], moved["assignee"]) == ("security", "alice")
    assert _open_counts() == {**before, "carol": 1, "alice": before["alice"] + 1}

    write_in(EMPTIED, subject="Re: Fees", sender="second@example.com", in_reply_to=second_mail)
    assert show(api, second)["assignee"] == "alice"
    assert _open_counts() == {**before, "carol": 0, "alice": before["alice"] + 2}

    with session_scope() as session:
        carol = session.execute(select(Agent.id).where(Agent.name == "carol")).scalar_one()
    released = [e["data"] for e in moved["events"] if e["kind"] == "unassigned"]
    assert released == [{"agent_id": carol, "reason": "moved to pool security"}]
