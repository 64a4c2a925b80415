"""A small desk for the Reports tests, built through the real code paths under a moved clock:
mail and a Telegram message taken in at intake and run through the pipeline, replies and a
resolve over the API. What each conversation went through, and so every figure the report
should give, is written down here by hand."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx

from channels.base import Inbound
from customer_mail import write_in
from router.queue.drain import drain_inbound
from router.queue.intake import accept
from router.storage.db import session_scope
from router.storage.models import Message

T0 = datetime(2031, 3, 4, 9, 0, tzinfo=UTC)  # a Tuesday
NOW = T0 + timedelta(hours=48)
CRASH = "The app crashes when I open it"         # tech pool, email normal: 24 h first reply
FEES = "What are the fees for sending BTC?"      # general pool, 24 h
WITHDRAWAL = "My withdrawal of 500 USDT has not arrived since yesterday."  # transactions pool
# The range the tests ask for: 2031-03-04 to 2031-03-06, both days included.
FIRST_DAY, LAST_DAY = "2031-03-04", "2031-03-06"


def _telegram(text: str, chat: str, n: int) -> int:
    accepted = accept(Inbound(channel="telegram", external_id=f"{chat}:{n}", sender=chat, text=text,
                              sender_name="Wei"))
    drain_inbound()
    with session_scope() as session:
        message = session.get(Message, accepted.message_id)
        assert message.status == "done", message.error
        return message.conversation_id


def build(api, time_machine) -> dict[str, int]:
    """The desk of the module docstring; returns its conversations' ids by name."""
    base, auth = api

    def act(cid: int, what: str, body: dict | None = None) -> None:
        response = httpx.post(f"{base}/api/conversations/{cid}/{what}", headers=auth(), json=body)
        assert response.status_code in (200, 201), response.text

    time_machine.move_to(T0 - timedelta(days=1), tick=False)
    before, _ = write_in(CRASH, subject="Before the range", sender="early@example.com")
    time_machine.move_to(T0, tick=False)
    crash, _ = write_in(CRASH, subject="Crash", sender="quick@example.com")
    fees, _ = write_in(FEES, subject="Fees", sender="late@example.com")
    time_machine.move_to(T0 + timedelta(hours=1), tick=False)
    act(crash, "reply", {"text": "Please update the app."})            # first reply 1 h: met
    time_machine.move_to(T0 + timedelta(hours=2), tick=False)
    withdrawal, _ = write_in(WITHDRAWAL, subject="Withdrawal", sender="wei@example.com")
    time_machine.move_to(T0 + timedelta(hours=2, minutes=30), tick=False)
    act(withdrawal, "reply", {"text": "We are checking it with the chain."})  # 30 min: met
    time_machine.move_to(T0 + timedelta(hours=5), tick=False)
    act(withdrawal, "resolve")                                          # resolved after 3 h
    time_machine.move_to(T0 + timedelta(hours=6), tick=False)
    act(crash, "resolve")                                               # resolved after 6 h
    time_machine.move_to(T0 + timedelta(hours=26), tick=False)
    telegram = _telegram(WITHDRAWAL, "4242", 1)                         # 15 min due, never answered
    time_machine.move_to(T0 + timedelta(hours=30), tick=False)
    act(fees, "reply", {"text": "The fee depends on the network."})   # 30 h: breached
    time_machine.move_to(T0 + timedelta(hours=47), tick=False)
    waiting, _ = write_in("What are the fees for sending ETH?", subject="Fees", sender="new@example.com")
    time_machine.move_to(NOW, tick=False)
    return {"before": before, "crash": crash, "fees": fees, "withdrawal": withdrawal,
            "telegram": telegram, "waiting": waiting}
