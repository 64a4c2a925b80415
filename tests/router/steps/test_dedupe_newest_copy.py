"""When a customer's same text already sits in two of their open cases, a new copy joins
the case that holds the newest one, whatever order the database returns the copies in.
Here the newest copy is in the older case (the lower conversation id): read case by case,
as dedupe's query now walks them, the older copy comes last."""
from __future__ import annotations

from datetime import timedelta

from config.desk import get_desk
from pipeline_support import ingest, later
from support import make_email

TEXT = "My deposit of 0.3 ETH has still not arrived, please check it."


def test_a_new_copy_joins_the_case_of_the_newest_copy(db_url, broker):
    first = ingest(make_email(sender="sam@example.com", subject="Login", text="I cannot log in."))
    apart = timedelta(seconds=get_desk().threading.same_sender_window) + timedelta(hours=1)
    with later(apart):   # past the same-sender window: a case of its own
        second = ingest(make_email(sender="sam@example.com", subject="Deposit", text="Where is my deposit?"))
    older_case, newer_case = first.conversation_id, second.conversation_id
    assert older_case < newer_case and older_case is not None, "two cases (the test's premise)"
    with later(apart + timedelta(minutes=1)):   # the text, first in the newer case
        in_newer = ingest(make_email(sender="sam@example.com", subject="Re: Deposit", text=TEXT,
                                     in_reply_to=second.external_id, references=[second.external_id]))
    with later(apart + timedelta(minutes=2)):   # then in the older case: the newest copy
        in_older = ingest(make_email(sender="sam@example.com", subject="Re: Login", text=TEXT,
                                     in_reply_to=first.external_id, references=[first.external_id]))
    assert (in_newer.conversation_id, in_older.conversation_id) == (newer_case, older_case)
    assert in_older.id > in_newer.id
    with later(apart + timedelta(minutes=3)):   # the same text again, answering nothing
        again = ingest(make_email(sender="sam@example.com", subject="???", text=TEXT))
    assert again.conversation_id == older_case
