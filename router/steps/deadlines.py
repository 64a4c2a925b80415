"""deadlines: start or tighten each conversation's reply clocks from the SLA table."""
from __future__ import annotations

from router.clock import iso
from router.queue.batch import Batch, Item
from router.sla import deadlines


def run(batch: Batch) -> None:
    def decide(item: Item) -> None:
        conversation = item.conversation
        assert conversation is not None  # `thread` or `open` gave every message one
        before, was_waiting = conversation.due_at, conversation.state == deadlines.WAITING
        item.reason("deadlines", deadlines.on_customer_message(
            conversation, batch.desk, batch.now, batch.pool_name(conversation.pool_id)))
        if was_waiting:
            batch.record("resumed", conversation=conversation, message=item.message,
                         data={"reason": "the customer wrote"})
        if conversation.due_at != before:
            batch.record("deadline_set", conversation=conversation, message=item.message,
                         data={"due_at": iso(conversation.due_at),
                               "first_reply_due_at": iso(conversation.first_reply_due_at),
                               "next_reply_due_at": iso(conversation.next_reply_due_at)})

    batch.each(decide)
