"""What the acknowledgement step tells the operator and the conversation's trail: one log
line for each acknowledgement queued, naming the customer's message, the language it
speaks and the outbound message's id, with the message and conversation ids attached for
the JSON log (README, "Logs and metrics"); and an `acknowledged` event naming the answer,
its language and whether it carried the secret notice."""
from __future__ import annotations

import logging

from sqlalchemy import select

from pipeline_support import ingest
from router.storage.db import session_scope
from router.storage.models import Message
from support import make_email


def _records(caplog) -> list[tuple[str, int | None, int | None]]:
    return [(r.getMessage(), getattr(r, "message_id", None), getattr(r, "conversation_id", None))
            for r in caplog.records if r.name == "router.steps.acknowledge"]


def test_each_acknowledgement_is_one_line_with_its_ids(db_url, broker, caplog):
    caplog.set_level(logging.INFO, logger="router.steps.acknowledge")
    first = ingest(make_email(sender="wei@example.com", subject="提现没到账",
                              text="你好，我昨天提现的 300 USDT 到现在还没有到账，请帮忙查一下。"))
    again = ingest(make_email(sender="wei@example.com", subject="Re: 提现没到账", text="还是没有到账。"))
    assert again.conversation_id == first.conversation_id  # no second acknowledgement
    with session_scope() as session:
        ack = session.execute(select(Message).where(Message.conversation_id == first.conversation_id,
                                                    Message.direction == "out")).scalars().one()
    assert _records(caplog) == [
        (f"message {first.id} acknowledged in zh (outbound message {ack.id})", first.id, first.conversation_id),
    ]


def test_the_acknowledged_event_names_the_answer_its_language_and_the_notice(db_url, broker):
    from router.storage.models import Conversation, Event

    plain = ingest(make_email(sender="ana@example.com", subject="App crashes",
                              text="The app crashes every time I open the settings page."))
    secret = ingest(make_email(sender="bo@example.com", subject="Help",
                               text="Someone asked for my password: my password is Hunter2Secret!"))
    with session_scope() as session:
        found = {}
        for case in (plain, secret):
            ack = session.execute(select(Message).where(Message.conversation_id == case.conversation_id,
                                                        Message.direction == "out")).scalars().one()
            event = session.execute(select(Event).where(Event.conversation_id == case.conversation_id,
                                                        Event.kind == "acknowledged")).scalars().one()
            found[case.id] = (event.message_id == ack.id, event.data)
    assert found == {plain.id: (True, {"language": "en", "secret_notice": False}),
                     secret.id: (True, {"language": "en", "secret_notice": True})}
    with session_scope() as session:
        trail = session.get(Conversation, plain.conversation_id).reasons
    assert {"step": "acknowledge", "reason": "acknowledged in en", "message_id": plain.id} in trail
