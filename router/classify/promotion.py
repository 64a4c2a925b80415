"""Whether a retrained model may replace the one in service: it must score no worse
on a frozen evaluation file on every headline figure.

The frozen file (`config/triage-frozen-eval.jsonl` by default) is written apart from
the training examples and never trained on, so a model that learnt a wrong habit
from agents' corrections (a lead who labels every theft "general") shows it there,
whatever its figures on its own training data.
"""
from __future__ import annotations

from collections.abc import Sequence

from router.classify.model import TriageModel

# The figures a candidate must not lose on, each higher-is-better.
HEADLINE = ("category", "urgency", "language", "critical recall", "critical precision")


def figures(model: TriageModel | None, records: Sequence[dict]) -> dict[str, float]:
    """The headline figures of `model` (None: rules alone) on labelled `records`."""
    from router.classify.files import classify_records, score

    outputs = list(classify_records(records, model))
    report = score(list(records), outputs, "candidate")
    recall, precision = report.critical("candidate")
    result = {label: report.accuracy("candidate", label) for label in ("category", "urgency", "language")}
    return {**result, "critical recall": recall, "critical precision": precision}


def worse(candidate: dict[str, float], current: dict[str, float]) -> list[str]:
    """The headline figures on which `candidate` scores below `current`, in words."""
    # Rounded to the per-record step so that float noise never blocks a promotion.
    return [f"{name} {candidate[name]:.3f} < {current[name]:.3f}" for name in HEADLINE
            if round(candidate[name], 6) < round(current[name], 6)]
