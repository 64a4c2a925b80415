"""classify: category, urgency and language of each message, with the reasons.

A new conversation takes the message's labels; when triage is unsure of them (its
calibrated confidence under the configured floor) it is marked to open in the
triage pool (`router/classify/parking.py`), unless a secret was found. A later message can only raise the
conversation's urgency; when it does and its category differs, the conversation is
re-routed (a customer whose fee question turns into "my wallet was emptied").

Triage reads only the message, so it is worked out in `prepare`, before the batch's
write transaction; `run` applies it to the conversations.
"""
from __future__ import annotations

from functools import lru_cache

from channels.email.quoted import strip_quoted
from config.settings import get_settings
from router.classify import Classification, classify, get_rules, load_model
from router.classify.parking import park_reason
from router.queue.batch import Batch, Item
from router.storage.rows import Row

URGENCY_RANK = {"low": 0, "normal": 1, "high": 2, "critical": 3}


def triage_model():
    """The trained model, when `msgrouter train` has written one; rules alone otherwise.
    A model file replaced on disk (a promoted retrain) is read again at the next batch."""
    path = get_settings().model_path
    try:
        stamp = path.stat().st_mtime_ns
    except OSError:
        stamp = None
    return _load(path, stamp)


@lru_cache(maxsize=1)
def _load(path, stamp):
    return load_model(path)


triage_model.cache_clear = _load.cache_clear  # type: ignore[attr-defined]  # tests reset it


def _text_for_triage(message: Row) -> str:
    # Quoted history is not the customer's news: triage judges what they say now.
    return strip_quoted(message.text) if message.channel == "email" else message.text


def prepare(messages: list[Row]) -> dict[int, Classification | Exception]:
    """Each message's labels, or the error classifying it raised (its own failure)."""
    model = triage_model()
    found: dict[int, Classification | Exception] = {}
    for message in messages:
        try:
            found[message.id] = classify(_text_for_triage(message), subject=message.subject,
                                         channel=message.channel, secret_kinds=tuple(message.secret_kinds),
                                         model=model)
        except Exception as exc:  # noqa: BLE001 - raised again for this message alone, in run
            found[message.id] = exc
    return found


def run(batch: Batch) -> None:
    prepared = batch.prepared.get("classify", {})

    def decide(item: Item) -> None:
        message, conversation = item.message, item.conversation
        assert conversation is not None  # `thread` or `open` gave every message one
        result = prepared.get(message.id) or prepare([message])[message.id]
        if isinstance(result, Exception):
            raise result
        item.classification = result
        message.category, message.urgency, message.language = result.category, result.urgency, result.language
        for reason in result.reasons[:-1]:
            item.reason("classify", reason)
        # The last reason is the confidence line: it carries the figures for the API.
        item.reason("classify", result.reasons[-1], confidence=dict(result.confidence),
                    calibrated=result.calibrated)
        if message.secret_kinds:
            conversation.contains_secret = True
        if item.is_new_conversation:
            conversation.category, conversation.urgency = result.category, result.urgency
            conversation.language = result.language
            item.park = park_reason(result, get_rules().config)
        elif URGENCY_RANK[result.urgency] > URGENCY_RANK[conversation.urgency]:
            item.reason("classify", f"urgency raised {conversation.urgency} -> {result.urgency} "
                                    f"by message {message.id}")
            conversation.urgency = result.urgency
            if result.category != conversation.category:
                conversation.category = result.category
                item.reroute = True
        batch.record("classified", conversation=conversation, message=message,
                     data={"category": result.category, "urgency": result.urgency, "language": result.language,
                           "confidence": {k: round(v, 3) for k, v in result.confidence.items()}})

    batch.each(decide)
