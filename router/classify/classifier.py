"""classify(): category, urgency and language of one message, with the reasons.

The pipeline passes redacted text; `secret_kinds` are the kinds the redactor
found, and a `[REDACTED:<kind>]` token left in the text counts the same way.
The rules always run; a model, when there is one, weighs their findings beside
the words (see combine.py).  Without a model the rules decide alone.
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from router.classify.combine import decide
from router.classify.language import detect_language
from router.classify.model import TriageModel
from router.classify.normalise import join_subject, normalise
from router.classify.rules import RuleSet, get_rules

_SECRET_TOKEN = re.compile(r"\[REDACTED:([a-z_]+)\]", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Classification:
    category: str
    urgency: str
    language: str                     # zh | en | other
    reasons: tuple[str, ...]          # why, in words an agent can read
    scores: dict[str, float] = field(default_factory=dict)   # category -> rule total, or model probability
    confidence: dict[str, float] = field(default_factory=dict)   # category, urgency -> 0..1 (calibration.py)
    calibrated: bool = False          # the confidence is calibrated (a model with calibration decided)
    secret: bool = False              # a secret was found: critical security, whatever the confidence


def classify(text: str, subject: str = "", channel: str = "", secret_kinds: Sequence[str] = (),
             model: TriageModel | None = None, rules: RuleSet | None = None) -> Classification:
    """Classify one message; `rules` defaults to config/triage.toml."""
    rules = rules if rules is not None else get_rules()
    full = join_subject(subject, text)
    kinds = tuple(secret_kinds)
    if "[" in full:      # a redaction token left in the text counts as a secret found
        kinds = tuple(dict.fromkeys([*kinds, *(k.lower() for k in _SECRET_TOKEN.findall(full))]))
    normalised = normalise(full)
    matches = rules.match(normalised)
    analysis = None
    if model is not None and model.fits(rules.config):
        analysis = model.analyse(normalised, channel, matches, rules.config)
    decision = decide(matches, analysis, rules.config, kinds)
    reasons = decision.reasons
    if model is not None and analysis is None:
        reasons += ("model ignored: trained for other labels than the configuration's; rules alone",)
    confidence = decision.confidence
    reasons += (f"confidence: category {confidence['category']:.2f}, urgency {confidence['urgency']:.2f}"
                + ("" if decision.calibrated else " (uncalibrated)"),)
    return Classification(decision.category, decision.urgency, detect_language(full), reasons, decision.scores,
                          confidence, decision.calibrated, bool(kinds))


def classify_many(messages: Iterable[Mapping], model: TriageModel | None = None,
                  rules: RuleSet | None = None) -> list[Classification]:
    """Classify dicts with text and optional subject, channel and secret_kinds."""
    rules = rules if rules is not None else get_rules()
    return [classify(m["text"], m.get("subject") or "", m.get("channel") or "", m.get("secret_kinds") or (),
                     model, rules) for m in messages]
