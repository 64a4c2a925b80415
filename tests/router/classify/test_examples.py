"""The team's labelled examples (config/triage-examples.jsonl), which the shipped model
trains on beside the corpus: well-formed, free of secrets, and none of them a copy of a
corpus message (they were written from the taxonomy, without the corpus)."""
from __future__ import annotations

from collections import Counter

from router.classify.files import check_labels, read_jsonl
from router.classify.normalise import normalise
from router.secrets.redact import redact_message

from .conftest import REPO

EXAMPLES = REPO / "config" / "triage-examples.jsonl"
LANGUAGES = {"zh", "en", "other"}
CHANNELS = {"email", "chat", "telegram", "webform"}


def examples() -> list[dict]:
    return read_jsonl(EXAMPLES, need=("id", "channel", "subject", "text", "category", "urgency", "language"))


def test_the_examples_are_well_formed():
    records = examples()
    check_labels(records, EXAMPLES)          # raises on a label outside the taxonomy
    assert len({r["id"] for r in records}) == len(records)
    assert {r["language"] for r in records} <= LANGUAGES
    assert {r["channel"] for r in records} <= CHANNELS
    # Every category and urgency is taught, critical most of all.
    assert set(Counter(r["category"] for r in records)) >= {"security", "transaction", "general", "feedback"}
    assert Counter(r["urgency"] for r in records)["critical"] >= 100


def test_the_examples_hold_no_secret():
    for record in examples():
        _, _, kinds = redact_message(record["text"], record["subject"])
        assert not kinds and not record.get("contains_secret"), record["id"]


def test_no_example_copies_a_corpus_message(corpus):
    # A greeting like "在吗?" is the taxonomy's own example and may occur in both.
    seen = {normalise(r["text"]) for r in corpus if len(r["text"]) >= 12}
    copies = [r["id"] for r in examples() if normalise(r["text"]) in seen]
    assert not copies
