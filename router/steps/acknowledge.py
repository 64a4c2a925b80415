"""acknowledge: an automatic first answer in the customer's language, with the expected
reply time and the warning that staff never ask for a mnemonic or private key.

Never to machine-written mail (that is how mail loops start), never twice for one
conversation, at most a few per customer per window, never to an address known to
be undeliverable. When the message held a secret, the answer tells the customer to
move their funds. What the rules need (undeliverable addresses, recent answers per
customer) is read once for the batch.
"""
from __future__ import annotations

import logging
from collections import Counter
from datetime import timedelta

from sqlalchemy import func, select
from sqlmodel import col

from router.batch import Batch, Item
from router.logs import log_extra
from router.models import Conversation, Identity, Message
from router.outbox import outbound_row
from router.rows import Row

log = logging.getLogger(__name__)


class _Known:
    def __init__(self, batch: Batch) -> None:
        session, customers = batch.session, {i.customer.id for i in batch.items if i.customer}
        self.undeliverable = {(customer_id, channel) for customer_id, channel in session.execute(
            select(col(Identity.customer_id), col(Identity.channel)).where(
                col(Identity.customer_id).in_(customers), col(Identity.undeliverable).is_(True)))}
        since = batch.now - timedelta(seconds=batch.desk.acknowledgement.window)
        self.recent: Counter[int] = Counter(dict(session.execute(
            select(col(Conversation.customer_id), func.count()).select_from(Message)
            .join(Conversation, col(Conversation.id) == col(Message.conversation_id))
            .where(col(Conversation.customer_id).in_(customers), col(Message.direction) == "out",
                   col(Message.automatic).is_(True), col(Message.created_at) >= since)
            .group_by(col(Conversation.customer_id))).tuples().all()))
        self.sent: list[tuple[int, Row]] = []  # (message id, its acknowledgement)
        batch.on_finish.append(self.log)

    def log(self) -> None:
        """Once the acknowledgements are inserted, each gets its line with its id."""
        for message_id, row in self.sent:
            log.info("message %s acknowledged in %s (outbound message %s)", message_id, row.language, row.id,
                     extra=log_extra(message_id, row.conversation_id))


def _skip_reason(batch: Batch, known: _Known, item: Item) -> str | None:
    message, customer = item.message, item.customer
    assert customer is not None  # `thread` found or made every sender's customer
    if message.auto_submitted:
        return "automatic mail (auto-reply, bounce or list): not answered automatically"
    if not item.is_new_conversation and not message.secret_kinds:
        return "conversation already acknowledged"
    if (customer.id, message.channel) in known.undeliverable:
        return "address is known to be undeliverable"
    recent = known.recent[customer.id]
    if recent >= batch.desk.acknowledgement.max_per_customer:
        return f"already {recent} automatic answers to this customer within the window"
    return None


def _render(batch: Batch, item: Item) -> tuple[str, str]:
    conversation, customer, desk = item.conversation, item.customer, batch.desk
    assert conversation is not None and customer is not None
    templates = desk.acknowledgement.templates
    template = templates.get(conversation.language) or templates[desk.desk.default_language]
    name = (customer.display_name or "").strip()
    due = conversation.first_reply_due_at
    values = {
        "conversation_id": conversation.id, "desk_name": desk.desk.name,
        "customer_name_suffix": f" {name}" if name else "",
        "due_human": f"{due:%Y-%m-%d %H:%M}" if due else "-",
    }
    body = template.body.format(**values)
    if item.message.secret_kinds:
        body = template.secret_notice.format(**values) + "\n\n" + body
    return template.subject.format(**values), body


def run(batch: Batch) -> None:
    known: _Known = batch.loaded("acknowledge", lambda: _Known(batch))

    def decide(item: Item) -> None:
        skip = _skip_reason(batch, known, item)
        if skip:
            item.reason("acknowledge", f"no acknowledgement: {skip}")
            return
        subject, body = _render(batch, item)
        conversation, customer = item.conversation, item.customer
        assert conversation is not None and customer is not None
        row = outbound_row(conversation, body, subject=subject, now=batch.now,
                           automatic=True, answering=item.message)
        known.recent[customer.id] += 1
        item.outbound.append(row)
        batch.record("acknowledged", conversation=conversation, message=row,
                     data={"language": conversation.language,
                           "secret_notice": bool(item.message.secret_kinds)})
        item.reason("acknowledge", f"acknowledged in {conversation.language}")
        known.sent.append((item.message.id, row))

    batch.each(decide)
