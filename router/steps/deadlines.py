"""deadlines: start or tighten the conversation's reply clocks from the SLA table."""
from __future__ import annotations

from router import deadlines
from router.clock import iso
from router.context import Context
from router.events import record


def run(ctx: Context) -> None:
    conversation = ctx.conversation
    before = conversation.due_at
    ctx.reason("deadlines", deadlines.on_customer_message(conversation, ctx.desk, ctx.now))
    if conversation.due_at != before:
        record(ctx.session, "deadline_set", conversation_id=conversation.id, message_id=ctx.message.id,
               data={"due_at": iso(conversation.due_at),
                     "first_reply_due_at": iso(conversation.first_reply_due_at),
                     "next_reply_due_at": iso(conversation.next_reply_due_at)})
