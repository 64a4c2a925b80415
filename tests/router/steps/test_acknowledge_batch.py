"""Acknowledgements decided for a whole batch at once: three new cases from three
mailboxes drained together each get their answer, and the cap is counted per mailbox
within the batch as across batches."""
from __future__ import annotations

from channels import email as email_channel
from config.desk import get_desk
from pipeline_support import delivered
from router.queue.drain import drain_inbound
from router.queue.intake import accept
from support import make_email

QUESTIONS = ["The app crashes when I open the settings page.",
             "How do I export my transaction history to a spreadsheet?",
             "Is there a fee to receive USDT?",
             "The price chart does not load on my tablet."]


def _accept(sender: str, n: int) -> None:
    accept(email_channel.parse(make_email(sender=sender, subject=f"Question {n}", text=QUESTIONS[n]).as_bytes()))


def test_every_new_case_of_one_batch_is_acknowledged(db_url, broker, sink):
    senders = ["ana@example.com", "wei@example.org", "sam@example.net"]
    for n, sender in enumerate(senders):
        _accept(sender, n)
    assert drain_inbound() == 3  # one batch: the drain's batch holds more than three
    assert sorted(m["To"] for m in delivered(sink)) == sorted(senders)


def test_the_cap_holds_inside_one_batch(db_url, broker, sink):
    cap = get_desk().acknowledgement.max_per_customer
    for n in range(cap + 1):  # one mailbox, a new case each time (plus tags: new customers)
        _accept(f"x+{n}@example.com", n % len(QUESTIONS))
    drain_inbound()
    assert len(delivered(sink)) == cap
