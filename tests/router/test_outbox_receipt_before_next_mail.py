"""The README's "Each acceptance is recorded before the next mail starts", seen from the
relay: by the time the relay has the data of a batch's next mail, the receipt of every mail
it accepted before is committed, so a worker dying then resends at most the mail in hand."""
from __future__ import annotations

from sqlalchemy import select

from channels import email as email_channel
from conftest import reset_caches
from relays import message_ids
from router.delivery.outbox import deliver_pending
from router.queue.drain import drain_inbound
from router.queue.intake import accept
from router.storage.db import session_scope
from router.storage.models import DeliveryReceipt, Message
from support import Sink, make_email


class ReceiptWatchingRelay(Sink):
    """A relay that, as each mail's data arrives, notes which receipts the database holds."""

    def __init__(self) -> None:
        super().__init__()
        self.mails: list[bytes] = []
        self.receipts_seen: list[set[str]] = []  # before each mail was accepted

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        with session_scope() as db:
            self.receipts_seen.append(set(db.execute(select(DeliveryReceipt.external_id)).scalars()))
        self.mails.append(envelope.original_content)
        return "250 OK"


def test_each_accepted_mail_has_its_receipt_before_the_next_mail_arrives(db_url, broker, monkeypatch):
    with ReceiptWatchingRelay() as relay:
        monkeypatch.setenv("MSGROUTER_RELAY_PORT", str(relay.port))
        reset_caches()
        for i in range(3):
            accept(email_channel.parse(make_email(sender=f"user{i}@example.com",
                                                  text=f"Hello, question {i}: what are the fees?").as_bytes()))
        drain_inbound()
        assert deliver_pending() == 3  # one batch, one connection
    with session_scope() as session:
        acks = list(session.execute(select(Message.external_id).where(Message.direction == "out")
                                    .order_by(Message.id)).scalars())
    assert message_ids(relay.mails) == dict.fromkeys(acks, 1)
    arrived = [next(iter(message_ids([raw]))) for raw in relay.mails]
    for i, seen in enumerate(relay.receipts_seen):
        assert seen == set(arrived[:i]), f"mail {i + 1} arrived before the receipts of the mails before it"
