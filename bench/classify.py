"""Triage speed: messages a second through classify(), rules alone and rules + model.

Classifies the corpus texts (redacted first, as the pipeline does) over and over
until at least --messages have gone through, in this one process (one core), with
the shipped model (config/triage-model.joblib).  Each system runs --passes times
and the best pass counts, so that a neighbour's burst of work on a shared machine
does not decide the figure.  Prints figures only: a benchmark, not a test.

    .venv/bin/python bench/classify.py [--messages 20000] [--passes 3] [--corpus PATH] [--model PATH]
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from router.classify import classify, get_rules, load_model
from router.redact import redact

DEFAULT_CORPUS = ROOT.parent / "shared" / "corpus" / "dev.jsonl"
DEFAULT_MODEL = ROOT / "config" / "triage-model.joblib"


def messages(corpus: Path, wanted: int) -> list[tuple[str, str, str, tuple[str, ...]]]:
    """The corpus, redacted, repeated to at least `wanted` messages."""
    base = []
    for line in corpus.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        text, subject = redact(record["text"]), redact(record.get("subject") or "")
        base.append((text.text, subject.text, record.get("channel") or "", text.kinds + subject.kinds))
    return base * -(-wanted // len(base))


def rate(batch, model, rules) -> float:
    """Messages a second for one pass over `batch`."""
    start = time.perf_counter()
    for text, subject, channel, kinds in batch:
        classify(text, subject, channel, kinds, model=model, rules=rules)
    return len(batch) / (time.perf_counter() - start)


def raw_messages(corpus: Path, wanted: int) -> list[tuple[str, str, str]]:
    """The corpus as it arrives, secrets and all, repeated to at least `wanted` messages."""
    base = [(r["text"], r.get("subject") or "", r.get("channel") or "")
            for r in map(json.loads, corpus.read_text(encoding="utf-8").splitlines())]
    return base * -(-wanted // len(base))


def rate_with_redaction(batch, model, rules) -> float:
    """Messages a second for redact + classify, as the pipeline runs them on arrival."""
    start = time.perf_counter()
    for text, subject, channel in batch:
        clean, clean_subject = redact(text), redact(subject)
        classify(clean.text, clean_subject.text, channel, clean.kinds + clean_subject.kinds,
                 model=model, rules=rules)
    return len(batch) / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=20_000)
    parser.add_argument("--passes", type=int, default=3)
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--model", type=Path, default=DEFAULT_MODEL)
    args = parser.parse_args()
    model = load_model(args.model)
    if model is None:
        sys.exit(f"no model at {args.model}: run `msgrouter train` first")
    rules = get_rules()
    batch = messages(args.corpus, args.messages)
    rate(batch[:500], model, rules)            # warm up: caches, lazy tables
    alone = max(rate(batch, None, rules) for _ in range(args.passes))
    both = max(rate(batch, model, rules) for _ in range(args.passes))
    raw = raw_messages(args.corpus, args.messages)
    full = max(rate_with_redaction(raw, model, rules) for _ in range(args.passes))
    print(f"classify(): {len(batch)} messages a pass, best of {args.passes} passes, one core")
    print(f"  rules only    {alone:8.0f} messages/s  ({1e6 / alone:5.0f} us each)")
    print(f"  rules + model {both:8.0f} messages/s  ({1e6 / both:5.0f} us each)")
    print(f"  redact + rules + model {full:8.0f} messages/s  ({1e6 / full:5.0f} us each)")


if __name__ == "__main__":
    main()
