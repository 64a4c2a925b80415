"""open: a message that continues no conversation opens a new one for its customer."""
from __future__ import annotations

from router.context import Context
from router.events import record
from router.models import Conversation


def run(ctx: Context) -> None:
    if ctx.conversation is not None:
        return
    message = ctx.message
    conversation = Conversation(customer_id=ctx.customer.id, channel=message.channel,
                                subject=message.subject[:500], created_at=ctx.now,
                                updated_at=ctx.now, last_inbound_at=ctx.now, reasons=[])
    ctx.session.add(conversation)
    ctx.session.flush()
    ctx.conversation = conversation
    ctx.is_new_conversation = True
    message.conversation_id = conversation.id
    record(ctx.session, "received", conversation_id=conversation.id, message_id=message.id,
           data={"channel": message.channel, "new_conversation": True})
