"""thread: find each message's customer, and the conversation it continues.

Email threads by our own Message-IDs (References / In-Reply-To), also those of the
channels of its kind (the website form's answers are mail), then by a `[#123]` token in
the subject; both only when the sender is that conversation's customer, so
nobody can write into somebody else's case by quoting its subject. Channels with a
standing session (Telegram, chat) continue the customer's open conversation there.

The batch's customers, referenced messages and named conversations are loaded with one
query each; a message that continues an earlier message of the same batch follows it
into the conversation that message will have.
"""
from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select
from sqlmodel import col

from channels import get_channel, kind_of, same_kind
from router.desk.assign import resolved_by
from router.desk.customers import find_or_create_customers, identity_key
from router.queue.batch import Batch, Item
from router.storage.models import Conversation, Message
from router.storage.rows import Row

SUBJECT_TOKEN = re.compile(r"\[#(\d{1,12})\]")
REOPEN_WINDOW = timedelta(days=7)


def _refs(message: Row) -> list[str]:
    return [r for r in [message.in_reply_to, *message.references] if r]


def _token(message: Row) -> int | None:
    match = SUBJECT_TOKEN.search(message.subject or "")
    return int(match.group(1)) if match else None


class _Known:
    """What the database knew when the batch began, loaded once for all its messages."""

    def __init__(self, batch: Batch) -> None:
        session, items = batch.session, batch.items
        wanted: dict = {}
        for item in items:
            wanted.setdefault(identity_key(item.message.channel, item.message.sender), item.message.sender_name)
        self.customers = find_or_create_customers(session, wanted)
        refs = {r for item in items for r in _refs(item.message)}
        # (channel kind, external id) -> each stored (message id, conversation id) with it:
        # anybody can write any Message-ID, so one id may name several conversations
        self.by_ref: dict[tuple[str, str], list[tuple[int, int]]] = {}
        if refs:
            channels = {c for i in items for c in same_kind(i.message.channel)}
            for channel, external_id, mid, cid in session.execute(
                    select(col(Message.channel), col(Message.external_id), col(Message.id),
                           col(Message.conversation_id))
                    # the channel too, so the lookup walks ix_message_channel_external_id
                    .where(col(Message.channel).in_(channels),
                           col(Message.external_id).in_(refs), col(Message.conversation_id).is_not(None))):
                self.by_ref.setdefault((kind_of(channel), external_id), []).append((mid, cid))
        tokens = {t for t in map(_token, (i.message for i in items)) if t}
        wanted_ids = {cid for hits in self.by_ref.values() for _, cid in hits} | tokens
        session_channels = {i.message.channel for i in items if get_channel(i.message.channel).THREADS_BY_CUSTOMER}
        if session_channels:  # the customers' open conversations on those channels
            wanted_ids |= set(session.execute(select(col(Conversation.id)).where(
                col(Conversation.customer_id).in_({c.id for c in self.customers.values()}),
                col(Conversation.channel).in_(session_channels), col(Conversation.state) != "resolved")).scalars())
        self.conversations = batch.load_conversations(wanted_ids)


def _target(item: Item) -> Row | Item:
    """What an item threads into: a conversation, or an earlier item that has none yet."""
    return item.conversation if item.conversation is not None else item


def _by_references(item: Item, known: _Known, seen: dict[tuple[str, str], Item]) -> tuple[Row | Item, int, str] | None:
    """The newest message the references name, in the sender's own conversations first:
    a stranger's mail that copied one of our Message-IDs must not hide the customer's
    thread. Failing those, the newest of anybody's, which `_find` then refuses by name."""
    hits: list[tuple[Row | Item, int]] = []
    kind = kind_of(item.message.channel)
    for ref in _refs(item.message):
        hits += [(known.conversations[cid], mid) for mid, cid in known.by_ref.get((kind, ref), ())]
        earlier = seen.get((kind, ref))
        if earlier is not None:
            hits.append((_target(earlier), earlier.message.id))
    if not hits:
        return None
    target, mid = max(hits, key=lambda hit: (_customer_of(hit[0]) == item.customer_id, hit[1]))
    return target, mid, "references"


def _by_subject_token(item: Item, known: _Known) -> tuple[Row, int, str] | None:
    token = _token(item.message)
    found = known.conversations.get(token) if token else None
    return (found, 0, f"subject token [#{token}]") if found is not None else None


def _by_session(item: Item, known: _Known, earlier: list[Item]) -> Row | Item | None:
    channel = item.message.channel
    if not get_channel(channel).THREADS_BY_CUSTOMER:
        return None
    customer_id = item.customer_id
    # A conversation this batch opens is newer than any already open.
    for other in reversed(earlier):
        if other.customer is item.customer and other.message.channel == channel and other.stopped is None \
                and (other.conversation is None or other.conversation.state != "resolved"):
            return _target(other)
    open_ones = [c for c in known.conversations.values() if c.customer_id == customer_id
                 and c.channel == channel and c.state != "resolved"]
    return max(open_ones, key=lambda c: c.id) if open_ones else None


def _customer_of(target: Row | Item) -> int:
    return target.customer_id


def _describe(target: Row | Item) -> str:
    return f"#{target.id}" if isinstance(target, Row) else f"the case of message {target.message.id}"


def _find(item: Item, known: _Known, seen: dict[tuple[str, str], Item], earlier: list[Item]) -> Row | Item | None:
    for found in (_by_references(item, known, seen), _by_subject_token(item, known)):
        if found is None:
            continue
        target, _, how = found
        if _customer_of(target) != item.customer_id:
            item.reason("thread", f"{how} names {_describe(target)}, but the sender is not its customer: "
                                  "not threaded")
            continue
        item.reason("thread", f"threaded into {_describe(target)} by {how}")
        return target
    continued = _by_session(item, known, earlier)
    if continued is not None:
        item.reason("thread", f"continues the open {item.message.channel} conversation {_describe(continued)}")
    return continued


def _reopen_or_leave(batch: Batch, item: Item, conversation: Row) -> Row | None:
    if conversation.state != "resolved":
        return conversation
    if item.message.auto_submitted:  # [imap/automatic] machine mail is attached, never reopens a case
        item.reason("thread", f"#{conversation.id} stays resolved: automatic mail does not reopen it")
        return conversation
    if conversation.resolved_at and batch.now - conversation.resolved_at > REOPEN_WINDOW:
        item.reason("thread", f"#{conversation.id} was resolved over {REOPEN_WINDOW.days} days ago: a new case")
        return None
    conversation.state = "open"
    conversation.resolved_at = None
    # Who had it is looked up for all reopened conversations at once, after the loop.
    batch.record("reopened", conversation=conversation, message=item.message,
                 data={"previous_assignee_id": None})
    item.reason("thread", f"#{conversation.id} reopened by a new message")
    return conversation


def _previous_assignees(batch: Batch, reopened: list[tuple[Item, dict]]) -> None:
    """The agent who answered knows the case: the assign step offers it to them first."""
    found = resolved_by(batch.session, {item.conversation.id for item, _ in reopened if item.conversation})
    for item, event_data in reopened:
        if item.conversation is not None:
            item.previous_assignee_id = event_data["previous_assignee_id"] = found.get(item.conversation.id)


def run(batch: Batch) -> None:
    known = _Known(batch)
    seen: dict[tuple[str, str], Item] = {}  # (channel kind, external id) of the batch's earlier messages
    earlier: list[Item] = []
    reopened: list[tuple[Item, dict]] = []  # with their `reopened` event's data

    def decide(item: Item) -> None:
        message = item.message
        item.customer = known.customers[identity_key(message.channel, message.sender)]
        target = _find(item, known, seen, earlier)
        if isinstance(target, Row):
            was_resolved = target.state == "resolved"
            target = _reopen_or_leave(batch, item, target)
            if was_resolved and target is not None and target.state != "resolved":  # [imap/automatic]
                reopened.append((item, batch.events[-1]["data"]))
        if target is not None:
            if isinstance(target, Item):
                item.follows = target
            else:
                item.conversation = target
                if not message.auto_submitted:  # [imap/automatic] the customer did not write
                    target.last_inbound_at = batch.now
            batch.record("received", conversation=target if isinstance(target, Row) else item,
                         message=message, data={"channel": message.channel})
        seen[(kind_of(message.channel), message.external_id)] = item
        earlier.append(item)

    batch.each(decide)
    _previous_assignees(batch, reopened)
