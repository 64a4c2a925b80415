"""rating: a customer's reply that answers our rating request (Telegram's 1-5 keyboard,
or the score typed, optionally with a comment after it) rates the resolution it was asked
for, and is attached to that resolved conversation: it neither reopens it nor opens a new
one. Only on channels that take ratings as replies (`RATES_BY_REPLY`), only when the
message threads into no open conversation, and only within the rating window.

The batch's customers' unrated surveys are loaded with one query and written with one.
"""
from __future__ import annotations

from channels import get_channel
from router.csat import ratings as csat
from router.queue.batch import Batch, Item, Stop


class Rated(Stop):
    """The message is the customer's rating: recorded on its resolution, nobody's work."""


def _candidate(item: Item) -> bool:
    return (item.conversation is None and item.follows is None and not item.message.auto_submitted
            and bool(getattr(get_channel(item.message.channel), "RATES_BY_REPLY", False))
            and csat.parse_reply(item.message.text) is not None)


def run(batch: Batch) -> None:
    candidates = [i for i in batch.live() if _candidate(i)]
    if not candidates:
        return
    surveys = csat.awaiting(batch.session, {i.customer_id for i in candidates},
                            {i.message.channel for i in candidates}, batch.now)
    chosen = set(map(id, candidates))
    rated = []

    def decide(item: Item) -> None:
        if id(item) not in chosen:
            return
        survey = surveys.pop((item.customer_id, item.message.channel), None)  # one answer each
        if survey is None:
            return
        score, comment = csat.parse_reply(item.message.text)  # type: ignore[misc]
        survey.score, survey.comment = score, csat.clean_comment(comment)
        survey.rated_by, survey.rated_at = item.message.channel, batch.now
        rated.append(survey)
        conversation = batch.load_conversations({survey.conversation_id})[survey.conversation_id]
        item.conversation = conversation
        batch.record("received", conversation=conversation, message=item.message,
                     data={"channel": item.message.channel, "csat": True})
        batch.record("csat_rated", conversation=conversation, message=item.message, actor="customer",
                     data={"survey_id": survey.id, "score": score, "comment": survey.comment,
                           "by": item.message.channel})
        raise Rated(f"the customer rated #{conversation.id} {score} of 5")

    batch.each(decide)
    if rated:
        batch.on_finish.append(lambda: csat.write_ratings(batch.session, rated))
