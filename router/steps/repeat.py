"""repeat: a sender writing again, with nothing in the mail that threads it, joins the
conversation they opened on the same channel within the window while it is open.

Whatever the subjects say: a person writing twice within the hour means one matter or
wants one answer, and an autoresponder or a flood varies its subjects, so matching them
would let 300 mails open 300 cases (and 300 acknowledgements, and 300 places in the
queue). Later mail, or mail after the conversation was resolved, opens a new case. The
window is the desk's `threading.same_sender_window`.

The batch's senders' recent open conversations are loaded with one query; a message
follows an earlier message of the batch that opens a conversation into that one.
"""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlmodel import col

from router.queue.batch import Batch, Item
from router.storage.models import Conversation
from router.storage.rows import Row


def _recent(batch: Batch, candidates: list[Item], since) -> dict[tuple[int, str], Row]:
    """(customer id, channel) -> the newest open conversation they opened since `since`."""
    if not candidates:
        return {}
    ids = set(batch.session.execute(select(col(Conversation.id)).where(
        col(Conversation.customer_id).in_({i.customer_id for i in candidates}),
        col(Conversation.channel).in_({i.message.channel for i in candidates}),
        # A parked conversation holds only automatic mail: a person's mail opens a case.
        col(Conversation.state).notin_(("resolved", "parked")), col(Conversation.created_at) >= since)).scalars())
    newest: dict[tuple[int, str], Row] = {}
    for conversation in batch.load_conversations(ids).values():
        key = (conversation.customer_id, conversation.channel)
        if key not in newest or conversation.id > newest[key].id:
            newest[key] = conversation
    return newest


def run(batch: Batch) -> None:
    window = timedelta(seconds=batch.desk.threading.same_sender_window)
    since = batch.now - window
    candidates = [i for i in batch.live() if i.conversation is None and i.follows is None]
    recent = _recent(batch, candidates, since)
    chosen = set(map(id, candidates))
    opening: dict[tuple[int, str], Item] = {}  # the batch's own new conversations, newest per sender

    def decide(item: Item) -> None:
        if id(item) not in chosen:
            return
        key = (item.customer_id, item.message.channel)
        earlier = opening.get(key)
        stored = recent.get(key)
        # A conversation this batch opens is newer than any already stored (and open).
        if earlier is not None:
            item.follows = earlier
            item.reason("repeat", f"the sender wrote within {_human(window)} of opening the case of "
                                  f"message {earlier.message.id}: joins it")
            batch.record("received", conversation=item, message=item.message,
                         data={"channel": item.message.channel, "repeat": True})
        elif stored is not None and stored.state not in ("resolved", "parked"):
            item.conversation = stored
            stored.last_inbound_at = batch.now
            item.reason("repeat", f"the sender opened #{stored.id} within the last {_human(window)} "
                                  "and it is still open: joins it")
            batch.record("received", conversation=stored, message=item.message,
                         data={"channel": item.message.channel, "repeat": True})
        else:
            opening[key] = item  # `open` will open its conversation

    batch.each(decide)


def _human(window: timedelta) -> str:
    seconds = int(window.total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"
