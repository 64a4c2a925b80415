"""Labelled JSONL files for triage: read them with clear errors, classify them as the
pipeline would (redact, then classify), and score the result against their labels.

Used by `msgrouter classify --jsonl FILE [--eval]` and `msgrouter train --jsonl FILE`.
"""
from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from pathlib import Path

from router.classify import Report, classify, get_rules
from router.secrets.redact import redact_message

LABELS = ("category", "urgency", "language")


class RecordError(ValueError):
    """A line of the file is not a usable record; the message names the line."""


def read_jsonl(path: str | Path, need: Iterable[str] = ("text",)) -> list[dict]:
    records, need = [], tuple(need)
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                raise RecordError(f"{path}:{number}: not JSON ({exc.msg})") from None
            if not isinstance(record, dict):
                raise RecordError(f"{path}:{number}: a record must be a JSON object")
            missing = [key for key in need if not isinstance(record.get(key), str)]
            if missing:
                raise RecordError(f"{path}:{number}: missing or non-text {', '.join(missing)}")
            records.append(record)
    return records


def check_labels(records: list[dict], path: str | Path) -> None:
    """Every record carries a category and urgency of the taxonomy (for training)."""
    config = get_rules().config
    allowed = {"category": config.categories, "urgency": config.urgencies}
    for number, record in enumerate(records, 1):
        for label, values in allowed.items():
            if record.get(label) not in values:
                raise RecordError(f"{path}: record {record.get('id', number)}: {label} {record.get(label)!r} "
                                  f"is not one of {', '.join(values)}")


def classify_records(records: Iterable[dict], model=None) -> Iterator[dict]:
    """One output line per record: labels, the redacted text and the reasons."""
    rules = get_rules()
    for number, record in enumerate(records, 1):
        text, subject, kinds = redact_message(record["text"], record.get("subject") or "")
        result = classify(text, subject, record.get("channel") or "", kinds, model=model, rules=rules)
        yield {"id": record.get("id", number), "category": result.category, "urgency": result.urgency,
               "language": result.language, "contains_secret": bool(kinds), "secret_kinds": list(kinds),
               "confidence": {label: round(value, 3) for label, value in result.confidence.items()},
               "confidence_calibrated": result.calibrated, "text": text, "reasons": list(result.reasons)}


def score(records: list[dict], outputs: list[dict], system: str, title: str = "") -> Report:
    """Compare outputs with the labels the records carry (the ones they have)."""
    unlabelled = [str(r.get("id", i)) for i, r in enumerate(records, 1) if any(label not in r for label in LABELS)]
    if unlabelled:
        raise RecordError(f"--eval needs category, urgency and language on every record; "
                          f"missing on {', '.join(unlabelled[:5])}")
    present = LABELS
    report = Report(k=0, seed=0, ids=[str(o["id"]) for o in outputs],
                    gold={label: [r[label] for r in records] for label in present}, title=title)
    report.predicted[system] = {label: [o[label] for o in outputs] for label in present}
    report.confidence[system] = {label: [o["confidence"][label] for o in outputs] for label in ("category", "urgency")}
    if all("contains_secret" in r for r in records):
        report.secret_gold = [bool(r["contains_secret"]) for r in records]
        report.secret_found = [o["contains_secret"] for o in outputs]
    return report
