"""dedupe: the same text from the same customer within minutes joins the first message's
conversation instead of opening (and alerting) a second one. Customers who get no
answer in a minute often send the same message again, or through another door.

The recent texts of the batch's customers are loaded with one query; a repeat of an
earlier message of the same batch joins that message's conversation.
"""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlmodel import col

from router.queue.batch import Batch, Duplicate, Item
from router.storage.models import Conversation, Message
from router.storage.rows import Row

WINDOW = timedelta(minutes=10)


def _recent(batch: Batch, candidates: list[Item]) -> dict[tuple[int, str], tuple[int, Row]]:
    """(customer id, text) -> (newest message id, its open conversation), from the database."""
    if not candidates:
        return {}
    found_ids = batch.session.execute(
        select(col(Conversation.customer_id), col(Message.text), col(Message.id), col(Message.conversation_id))
        .join(Conversation, col(Conversation.id) == col(Message.conversation_id))
        .where(col(Conversation.customer_id).in_({i.customer_id for i in candidates}),
               # a parked conversation holds machine mail only: never a person's case
               col(Conversation.state).not_in(("resolved", "parked")),
               # `|| ''` keeps SQLite off ix_message_work: without statistics it took
               # direction = 'in' for selective and read every inbound message ever stored,
               # 2.2 ms a batch at 7,000 messages and growing, where walking the customers'
               # conversations reads only theirs (0.03 ms).
               col(Message.direction) + "" == "in",
               col(Message.created_at) >= batch.now - WINDOW,
               col(Message.text).in_({i.message.text for i in candidates}))).all()
    newest: dict[tuple[int, str], tuple[int, int]] = {}
    for customer_id, text, message_id, conversation_id in found_ids:
        best = newest.get((customer_id, text))
        if best is None or message_id > best[0]:
            newest[(customer_id, text)] = (message_id, conversation_id)
    conversations = batch.load_conversations({cid for _, cid in newest.values()})
    return {key: (mid, conversations[cid]) for key, (mid, cid) in newest.items()}


def run(batch: Batch) -> None:
    candidates = [i for i in batch.live()
                  if i.conversation is None and i.follows is None and i.message.text.strip()]
    known = _recent(batch, candidates)
    chosen = set(map(id, candidates))
    earlier: dict[tuple[int, str], Item] = {}  # the batch's own earlier messages count too

    def decide(item: Item) -> None:
        key = (item.customer_id, item.message.text)
        same = earlier.get(key)
        if item.message.created_at >= batch.now - WINDOW and item.message.text.strip() \
                and not item.message.auto_submitted:  # machine mail is parked: no case to join
            earlier[key] = item
        if id(item) in chosen:
            _attach(batch, item, known.get(key), same)

    batch.each(decide)


def _attach(batch: Batch, item: Item, stored: tuple[int, Row] | None, same: Item | None) -> None:
    target: Row | Item
    if same is not None and (stored is None or same.message.id > stored[0]):
        target, what = same, f"message {same.message.id}"
        if same.conversation is not None:
            target, what = same.conversation, f"#{same.conversation.id}"
    elif stored is not None:
        target, what = stored[1], f"#{stored[1].id}"
    else:
        return
    if isinstance(target, Item):
        item.follows = target
    else:
        item.conversation = target
    batch.record("received", conversation=item, message=item.message,
                 data={"channel": item.message.channel, "duplicate": True})
    raise Duplicate(f"same text as {what} within {WINDOW}")
