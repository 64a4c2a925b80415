"""Only a channel that takes ratings as replies (Telegram's keyboard) rates by a message: on
email the request carries a link, and a customer who mails back a bare "5" after the
resolution wrote a new message, which opens a case; the survey stays unrated for the link."""
from __future__ import annotations

from sqlalchemy import func, select

from csat_support import answered, requests_in, resolve
from customer_mail import write_in
from router.delivery.outbox import deliver_pending
from router.storage.db import session_scope
from router.storage.models import Conversation, Csat


def test_a_score_mailed_back_is_a_new_message_not_a_rating(api, broker, sink):
    cid = answered(api, sink, sender="wei@example.com")
    resolve(api, cid)
    deliver_pending()
    assert requests_in(sink), "the rating request went out by mail, with its link"

    new, _ = write_in("5", sender="wei@example.com", subject="rating")
    assert new != cid
    with session_scope() as session:
        assert session.execute(select(func.count()).select_from(Conversation)).scalar() == 2
        [survey] = session.execute(select(Csat)).scalars()
        assert (survey.conversation_id, survey.score, survey.rated_by) == (cid, None, None)
