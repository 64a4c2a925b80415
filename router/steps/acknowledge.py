"""acknowledge: an automatic first answer in the customer's language, with the expected
reply time and the warning that staff never ask for a mnemonic or private key.

Never to machine-written mail (that is how mail loops start), never twice for one
conversation, at most a few per mailbox per window (x+1@ and x+2@ are one mailbox;
`router.delivery.ack_quota` holds the cap under a lock), never to an address known to be
undeliverable. When the message held a secret, the answer tells the customer to move
their funds. The answer greets no one by name: the display name is whatever the sender
typed. What the rules need is read once for the batch.
"""
from __future__ import annotations

import logging

from sqlalchemy import select
from sqlmodel import col

from channels import REGISTRY, get_channel, kind_of
from router.delivery.ack_quota import Key, Quota
from router.delivery.outbox import outbound_row
from router.logs import log_extra
from router.queue.batch import Batch, Item
from router.storage.models import Identity
from router.storage.rows import Row

log = logging.getLogger(__name__)


def sender_key(channel: str, address: str) -> Key:
    """The mailbox an answer to `address` reaches: what the cap counts. Channels of one
    kind (email, and the website form answered by email) share their mailboxes' caps."""
    kind = kind_of(channel)
    normalise = getattr(get_channel(kind if kind in REGISTRY else channel), "sender_key", None)
    return kind, normalise(address) if normalise else address.strip()


def _may_answer(item: Item) -> bool:
    """Whether the rules before the cap let the message be answered at all."""
    return (item.customer is not None and not item.message.auto_submitted
            and (item.is_new_conversation or bool(item.message.secret_kinds)))


class _Known:
    def __init__(self, batch: Batch) -> None:
        session, customers = batch.session, {i.customer.id for i in batch.items if i.customer}
        self.undeliverable = {(customer_id, channel) for customer_id, channel in session.execute(
            select(col(Identity.customer_id), col(Identity.channel)).where(
                col(Identity.customer_id).in_(customers), col(Identity.undeliverable).is_(True)))}
        policy = batch.desk.acknowledgement
        # Every message of the batch the cap may have to judge, not only this run's; each
        # one's mailbox worked out once (`decide` asks again).
        self.keys = {id(i): sender_key(i.message.channel, i.message.sender) for i in batch.items
                     if i.stopped is None and _may_answer(i)}
        keys = set(self.keys.values())
        self.quota = Quota(session, keys, policy.max_per_customer, policy.window, batch.now)
        self.sent: list[tuple[int, Row]] = []  # (message id, its acknowledgement)
        batch.on_finish.append(self.quota.write)
        batch.on_finish.append(self.log)

    def log(self) -> None:
        """Once the acknowledgements are inserted, each gets its line with its id."""
        for message_id, row in self.sent:
            log.info("message %s acknowledged in %s (outbound message %s)", message_id, row.language, row.id,
                     extra=log_extra(message_id, row.conversation_id))


def _skip_reason(known: _Known, item: Item) -> str | None:
    message, customer = item.message, item.customer
    assert customer is not None  # `thread` found or made every sender's customer
    if message.auto_submitted:
        return "automatic mail (auto-reply, bounce or list): not answered automatically"
    if not item.is_new_conversation and not message.secret_kinds:
        return "conversation already acknowledged"
    if (customer.id, message.channel) in known.undeliverable:
        return "address is known to be undeliverable"
    return None


def _render(batch: Batch, item: Item) -> tuple[str, str]:
    conversation, desk = item.conversation, batch.desk
    assert conversation is not None
    templates = desk.acknowledgement.templates
    template = templates.get(conversation.language) or templates[desk.desk.default_language]
    due = conversation.first_reply_due_at
    # Only what we know of the case: nothing the sender wrote (config.desk.TEMPLATE_FIELDS).
    values = {
        "conversation_id": conversation.id, "desk_name": desk.desk.name,
        "due_human": f"{due:%Y-%m-%d %H:%M}" if due else "-",
    }
    body = template.body.format(**values)
    if item.message.secret_kinds:
        body = template.secret_notice.format(**values) + "\n\n" + body
    return template.subject.format(**values), body


def run(batch: Batch) -> None:
    known: _Known = batch.loaded("acknowledge", lambda: _Known(batch))

    def decide(item: Item) -> None:
        skip = _skip_reason(known, item)
        if skip:
            item.reason("acknowledge", f"no acknowledgement: {skip}")
            return
        subject, body = _render(batch, item)
        conversation = item.conversation
        assert conversation is not None
        row = outbound_row(conversation, body, subject=subject, now=batch.now,
                           automatic=True, answering=item.message)
        key = known.keys.get(id(item)) or sender_key(item.message.channel, item.message.sender)
        if not known.quota.take(key, row):
            item.reason("acknowledge", f"no acknowledgement: already {known.quota.used(key)} automatic "
                                       f"answers to this mailbox ({key[1]}) within the window")
            return
        item.outbound.append(row)
        batch.record("acknowledged", conversation=conversation, message=row,
                     data={"language": conversation.language,
                           "secret_notice": bool(item.message.secret_kinds)})
        item.reason("acknowledge", f"acknowledged in {conversation.language}")
        known.sent.append((item.message.id, row))

    batch.each(decide)
