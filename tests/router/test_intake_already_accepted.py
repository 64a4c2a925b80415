"""`already_accepted` answers which of the ids a door asks about it holds, and only those:
IMAP asks it for a mailbox's worth of Message-IDs before downloading, so an answer that
held every id the desk ever stored would read the whole table each poll."""
from __future__ import annotations

from channels.base import Inbound
from router.queue.intake import accept, already_accepted


def _mail(external_id: str, channel: str = "email") -> None:
    accept(Inbound(channel=channel, external_id=external_id, sender="wei@example.com",
                   subject="Withdrawal", text="My withdrawal has not arrived."))


def test_only_the_ids_asked_about_that_are_stored_come_back(db_url):
    for external_id in ("<a@example.com>", "<b@example.com>"):
        _mail(external_id)
    _mail("<c@example.com>", channel="webform")
    asked = {"<a@example.com>", "<never@example.com>"}
    assert already_accepted("email", asked) == {"<a@example.com>"}
    assert already_accepted("email", {"<never@example.com>"}) == set()
    assert already_accepted("email", set()) == set()
