"""dedupe: the same text from the same customer within minutes joins the first message's
conversation instead of opening (and alerting) a second one. Customers who get no
answer in a minute often send the same message again, or through another door."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from router.context import Context, Duplicate
from router.events import record
from router.models import Conversation, Message

WINDOW = timedelta(minutes=10)


def run(ctx: Context) -> None:
    message = ctx.message
    if ctx.conversation is not None or not message.text.strip():
        return
    query = (select(Message.conversation_id)
             .join(Conversation, Conversation.id == Message.conversation_id)
             .where(Conversation.customer_id == ctx.customer.id,
                    Conversation.state != "resolved",
                    Message.direction == "in", Message.id != message.id,
                    Message.created_at >= ctx.now - WINDOW,
                    Message.text == message.text)
             .order_by(Message.id.desc()).limit(1))
    conversation_id = ctx.session.execute(query).scalar_one_or_none()
    if conversation_id is None:
        return
    ctx.conversation = ctx.session.get(Conversation, conversation_id)
    message.conversation_id = conversation_id
    record(ctx.session, "received", conversation_id=conversation_id, message_id=message.id,
           data={"channel": message.channel, "duplicate": True})
    raise Duplicate(f"same text as a message of #{conversation_id} within {WINDOW}")
