"""An agent coming online fills the queues of their own pools at once and says how many
conversations it assigned; the queues of pools they do not work in are left to tick, even
when someone there is free."""
from __future__ import annotations

from sqlalchemy import select, update

from customer_mail import show, write_in
from router.desk.presence import set_presence
from router.storage.db import session_scope
from router.storage.models import Agent

EMPTIED = "My wallet was emptied, all my ETH is gone and I made no transfer!"  # security: alice, dan
WITHDRAWAL = "我昨天提现的 500 USDT 到现在还没有到账。"  # transactions: alice, bob


def _status(name: str, status: str) -> None:
    with session_scope() as session:
        session.execute(update(Agent).where(Agent.name == name).values(status=status))


def test_coming_online_fills_only_the_agents_own_pools(api, broker):
    for name in ("alice", "bob", "dan"):
        _status(name, "away")
    security, _ = write_in(EMPTIED, subject="Wallet emptied", sender="emptied@example.com")
    withdrawal, _ = write_in(WITHDRAWAL, subject="提现未到账", sender="wei@example.com")
    assert [show(api, c)["assignee"] for c in (security, withdrawal)] == [None, None]

    _status("alice", "online")  # a script, not the presence action: nothing fills
    with session_scope() as session:
        bob = session.execute(select(Agent.id).where(Agent.name == "bob")).scalar_one()
        change = set_presence(session, bob, "online", actor="bob")
    assert change.assigned == 1
    assert show(api, withdrawal)["assignee"] in ("alice", "bob")
    assert show(api, security)["assignee"] is None, "security is not bob's pool: tick fills it"
