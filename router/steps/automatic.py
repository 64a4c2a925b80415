"""automatic: machine-written mail opens no work. Auto-replies, bounces and list mail
(`Message.auto_submitted`) are stored and attached to the conversation they thread into,
without reopening it or touching its clocks; one that threads nowhere is parked by `open`
in a conversation of its own (state `parked`: no pool, no assignee, no deadline). Either
way the message stops here (`Automatic`), before triage, routing, assignment, deadlines
and acknowledgement.

A permanent bounce of a mail of ours marks the failed address undeliverable and joins
that mail's conversation. Only a report naming one of our own outbound Message-IDs and
its recipient counts: anybody can write a mail that looks like a bounce.

A person's mail that would land in a parked conversation opens a case of its own instead,
so its clocks start when it arrived, not when the machine wrote.

Our outbound mail named by the batch's reports is read with one query, the addresses
are marked with one statement.
"""
from __future__ import annotations

import logging

from sqlalchemy import select, update
from sqlmodel import col

from router.desk.customers import identity_key
from router.logs import log_extra
from router.queue.batch import Automatic, Batch, Item
from router.storage.models import Identity, Message
from router.storage.pairs import pairs_in
from router.storage.rows import Row

log = logging.getLogger(__name__)

def _report(item: Item) -> dict | None:
    report = item.message.delivery_report
    return report if item.message.auto_submitted and report and report.get("permanent") else None


def _our_mail(batch: Batch) -> dict[tuple[str, str], tuple[str, int | None]]:
    """(channel, Message-ID) -> (recipient, conversation id) of our mail the reports name."""
    wanted = {(i.message.channel, r["original_message_id"]) for i in batch.live()
              if (r := _report(i)) and r.get("original_message_id")}
    if not wanted:
        return {}
    return {(channel, external_id): (recipient, conversation_id)
            for channel, external_id, recipient, conversation_id in batch.session.execute(
                select(col(Message.channel), col(Message.external_id), col(Message.recipient),
                       col(Message.conversation_id))
                .where(pairs_in(col(Message.channel), col(Message.external_id), wanted),
                       col(Message.direction) == "out"))}


def _lands_parked(item: Item) -> bool:
    """Whether the item would end in a parked conversation: one it threads into, or the one
    the automatic message it follows opens."""
    while item.conversation is None and item.follows is not None:
        item = item.follows
    if item.conversation is not None:
        return item.conversation.state == "parked"
    return bool(item.message.auto_submitted)


class _Bounces:
    """The batch's verified permanent bounces: which addresses to mark, which conversations
    the reports join."""

    def __init__(self, batch: Batch) -> None:
        self.batch = batch
        self.ours = _our_mail(batch)
        self.conversations = batch.load_conversations({cid for _, cid in self.ours.values() if cid})
        self.undeliverable: set[tuple[str, str]] = set()

    def take(self, item: Item) -> None:
        report = _report(item)
        if report is None:
            return
        message = item.message
        recipient, conversation_id = self.ours.get((message.channel, report.get("original_message_id", "")),
                                                   ("", None))
        failed = [a for a in report["permanent"] if recipient and a == recipient.strip().lower()]
        if not failed:
            item.reason("automatic", "delivery report names no recipient of a mail of ours: no address marked")
            return
        conversation = self.conversations.get(conversation_id) if conversation_id else None
        for address in failed:
            self.undeliverable.add(identity_key(message.channel, address))
            item.reason("automatic", f"permanent bounce ({report['statuses'].get(address, '5.x.x')}) "
                                     f"of {report['original_message_id']}: {address} marked undeliverable")
            self.batch.record("undeliverable", conversation=conversation, message=message,
                              data={"address": address, "status": report["statuses"].get(address),
                                    "bounced_message_id": report["original_message_id"]})
        if conversation is not None and item.conversation is None and item.follows is None:
            item.conversation = conversation
            self.batch.record("received", conversation=conversation, message=message,
                              data={"channel": message.channel, "automatic": True})

    def write(self) -> None:
        if self.undeliverable:
            self.batch.session.execute(
                update(Identity).where(pairs_in(col(Identity.channel), col(Identity.address), self.undeliverable))
                .values(undeliverable=True))


def _detach(item: Item, target: Row | Item | None) -> None:
    what = f"#{target.id}" if isinstance(target, Row) else \
        f"of automatic message {target.message.id}" if target is not None else ""
    item.reason("automatic", f"would join the parked conversation {what}, which holds only automatic "
                             "mail: a case of its own")
    item.conversation = item.follows = None


def run(batch: Batch) -> None:
    bounces = _Bounces(batch)

    def decide(item: Item) -> None:
        message = item.message
        if not message.auto_submitted:
            if _lands_parked(item):
                _detach(item, item.conversation or item.follows)
                # `thread` queued it as received where it would have joined; `open` records
                # it in the case it opens, so the parked conversation shows no stranger's mail.
                batch.events[:] = [e for e in batch.events if not (e["kind"] == "received" and e["message"] is message)]
            return
        bounces.take(item)
        where = f"attached to conversation {item.conversation.id}" if item.conversation is not None \
            else f"joins the case of message {item.follows.message.id}" if item.follows is not None else "parked"
        log.info("message %s is automatic mail (%s): %s, not worked on", message.id, message.auto_reason, where,
                 extra=log_extra(message.id, item.conversation.id if item.conversation is not None else None))
        raise Automatic(f"automatic mail ({message.auto_reason or 'machine-written'}): stored, "
                        "not assigned, no deadline, not answered")

    batch.each(decide)
    bounces.write()
