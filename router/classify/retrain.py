"""Retrain triage from the examples plus agents' corrections, and promote the new
model only when it scores no worse on the frozen evaluation file on every headline
figure (`router/classify/promotion.py`); otherwise keep it aside, next to the model,
as `<model>.candidate.npz`, with the reason logged.  Both models' figures go into a
`model_trained` event.  `msgrouter train --with-corrections` and the scheduled
`msgrouter.retrain` task both call `retrain`.
"""
from __future__ import annotations

import logging
import os
from dataclasses import asdict, dataclass
from pathlib import Path

from router.classify import load_model, train
from router.classify.model_file import ModelFileError
from router.classify.promotion import HEADLINE, figures, worse
from router.desk.corrections import training_records
from router.storage.db import read_scope, session_scope
from router.storage.events import record

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Outcome:
    promoted: bool
    reason: str
    current: dict[str, float]          # the model in service (or the rules alone) on the frozen file
    candidate: dict[str, float]
    records: int                       # trained on, corrections included
    corrections: int
    frozen: str                        # the frozen file's path
    model_path: str
    candidate_path: str

    def format(self) -> str:
        lines = [(f"trained on {self.records} records ({self.corrections} from agents' corrections); "
                  f"scored on the frozen file {self.frozen}"),
                 f"  {'figure':<20}{'current':>9}{'candidate':>11}"]
        lines += [f"  {name:<20}{self.current[name]:>9.3f}{self.candidate[name]:>11.3f}" for name in HEADLINE]
        verdict = (f"promoted: {self.model_path}" if self.promoted
                   else f"NOT promoted, kept aside at {self.candidate_path}")
        return "\n".join([*lines, f"{verdict} ({self.reason})"])


def candidate_path(model_path: Path) -> Path:
    """Where a candidate that was not promoted waits: beside the model."""
    return model_path.with_name(f"{model_path.stem}.candidate{model_path.suffix or '.npz'}")


def retrain(records: list[dict], frozen_records: list[dict], frozen: Path, model_path: Path) -> Outcome:
    """Train on `records` plus every correction, score both models on the frozen
    records, promote or keep aside, and record a `model_trained` event."""
    with read_scope() as session:
        corrections = list(training_records(session))
    aside = candidate_path(model_path)
    candidate = train(records + corrections, aside)
    try:
        current_model = load_model(model_path)
    except ModelFileError as exc:      # an unreadable model is no model: the rules alone stand
        log.warning("the model in service is unreadable, compared as rules alone: %s", exc)
        current_model = None
    current, new = figures(current_model, frozen_records), figures(candidate, frozen_records)
    losses = worse(new, current)
    if losses:
        reason = "worse on the frozen file: " + "; ".join(losses)
        log.warning("triage model not promoted, kept aside at %s: %s", aside, reason)
    else:
        reason = "no worse on every headline figure of the frozen file"
        os.replace(aside, model_path)
        log.info("triage model promoted to %s (%s corrections)", model_path, len(corrections))
    outcome = Outcome(not losses, reason, current, new, len(records) + len(corrections), len(corrections),
                      str(frozen), str(model_path), str(aside))
    with session_scope() as session:
        record(session, "model_trained", data=asdict(outcome))
    return outcome


def scheduled() -> dict:
    """The scheduled run: the configured files, the frozen file, the model path."""
    from config.settings import get_settings
    from router.classify.files import read_jsonl

    settings = get_settings()
    records = [r for path in settings.retrain_files for r in read_jsonl(path, need=("text", "category", "urgency"))]
    frozen_records = read_jsonl(settings.frozen_eval_path, need=("text", "category", "urgency", "language"))
    outcome = retrain(records, frozen_records, settings.frozen_eval_path, settings.model_path)
    return {"promoted": outcome.promoted, "reason": outcome.reason}
