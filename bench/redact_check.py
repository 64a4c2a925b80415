"""Run the redactor over a labelled corpus: secret recall, false alarms, speed.

Usage: python bench/redact_check.py [CORPUS]   (default: the shared dev corpus)
Prints every missed secret and every false alarm, then the totals, then the
time for hostile inputs of growing size: it should grow in step with the size
(linear), never with its square.
"""
from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from router.secrets.redact import redact

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DEFAULT_CORPUS = ROOT.parent / "shared" / "corpus" / "dev.jsonl"   # shared/ beside the checkout


def main(argv: list[str]) -> int:
    path = Path(argv[1]) if len(argv) > 1 else DEFAULT_CORPUS
    records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    secrets = [r for r in records if r["contains_secret"]]
    misses, false_alarms = [], []
    for record in records:
        # The subject is redacted too: it is stored and shown like the body.
        found = redact(record["text"]).kinds or redact(record["subject"]).kinds
        if record["contains_secret"] and not found:
            misses.append(record)
        elif found and not record["contains_secret"]:
            false_alarms.append((record, found))
    for record in misses:
        print(f"MISS {record['id']}: {record['text'][:120]!r}")
    for record, kinds in false_alarms:
        print(f"FALSE ALARM {record['id']} {kinds}: {redact(record['text']).text[:200]!r}")

    texts = [r["text"] for r in records] + [r["subject"] for r in records]
    rounds = 50
    began = time.perf_counter()
    for _ in range(rounds):
        for text in texts:
            redact(text)
    elapsed = (time.perf_counter() - began) / rounds
    print(f"records {len(records)}, secrets {len(secrets)}, "
          f"recall {len(secrets) - len(misses)}/{len(secrets)}, false alarms {len(false_alarms)}")
    print(f"one pass over the corpus (text and subject): {elapsed * 1000:.1f} ms, "
          f"{len(records) / elapsed:,.0f} messages/second")
    hostile_scaling()
    return 1 if misses or false_alarms else 0


def hostile_scaling() -> None:
    """Bait for every detector, at three sizes; the time per KB should stay flat."""
    unit = ("password: " * 50) + ("1" * 500) + (" " * 500) + ("的" * 500) + ("助记词" * 20)
    for copies in (10, 100, 1000):
        text = unit * copies
        began = time.perf_counter()
        redact(text)
        elapsed = time.perf_counter() - began
        print(f"hostile input {len(text) / 1000:8.0f} K chars: {elapsed * 1000:8.1f} ms, "
              f"{elapsed * 1e6 / (len(text) / 1000):6.1f} us per K chars")


if __name__ == "__main__":
    sys.exit(main(sys.argv))
