"""open: a message that continues no conversation opens a new one for its customer; one
that follows an earlier message of the batch joins the conversation that message has now.
Automatic mail that threads nowhere opens a parked conversation: nobody's work.

The batch's new conversations are inserted with one statement when the batch ends."""
from __future__ import annotations

from router.queue.batch import Automatic, Batch
from router.storage import rows
from router.storage.models import Conversation


def run(batch: Batch) -> None:
    opened: list[rows.Row] = []
    for item in batch.items:  # in order: whoever an item follows has its conversation by now
        if item.conversation is not None:
            continue
        if item.follows is not None:
            item.conversation = item.follows.conversation
            continue
        parked = isinstance(item.stopped, Automatic)
        if item.stopped is not None and not parked:
            continue
        message = item.message
        item.conversation = rows.new(Conversation, customer_id=item.customer_id, channel=message.channel,
                                     subject=message.subject[:500], created_at=batch.now,
                                     updated_at=batch.now, last_inbound_at=batch.now, reasons=[],
                                     state="parked" if parked else "open")
        item.is_new_conversation = True
        opened.append(item.conversation)
        batch.record("received", conversation=item, message=message,
                     data={"channel": message.channel, "new_conversation": True})
        if parked:
            batch.record("parked", conversation=item, message=message, data={"reason": message.auto_reason})
    # Ids now (the later steps and events name them); the rows are inserted when the batch
    # ends, as the steps left them, instead of inserted now and written over then.
    rows.draw_ids(batch.session, Conversation, opened)
    batch.opened.extend(opened)
    batch.conversations.update((row.id, row) for row in opened)
