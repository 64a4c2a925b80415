"""Decide category and urgency from what the rules found and what the model thinks.

Rules alone: the best-scoring category wins, and near-ties (within `tie_ratio`)
go to the higher priority (taxonomy order); urgency is the rules' verdict for
that category (`urgency.py`).

With a model, the model has already weighed the rules' evidence beside the words
(`evidence.py`), so its probabilities decide; near-ties (within `tie_margin`)
again go by priority.  But when the rules' best category leads every other by
`rules_margin` times, the model gives its own choice less than `model_sure` and
the rules behind that choice stay under the force threshold (or the urgency
rules explain its risk away), the rules' category stands: the model learnt from
a few thousand messages and leans on their words ("gone" nearly always meant
theft there).

Urgency is the model's, for the chosen category, except critical: a message is
critical when the critical rules reach the force threshold, or when the model
gives critical at least `critical_threshold` (chosen from cross-validated scores
for critical recall first, see README), and not otherwise.  Neither that
threshold nor an unsure model's critical (below `model_sure`) stands against
urgency rules that clearly say calmer ("I told them nothing", "the funds are on
chain", "my own bridge is stuck").

When the rules see money or keys at risk (the critical rules that apply to
security reach the force threshold), the rules decide both labels, whatever else
the message says ("your support is useless, my wallet was drained" is security
critical, not a complaint: security ranks first; "the extension I installed has
my phrase" is security even when no security word matched, since only security
can be critical).  The category's bounds apply last.  A flagged secret makes the
message critical security whatever else is said.

Every decision carries a confidence per label (`calibration.py`): the noisy OR
of the model's probability and the rules' weight behind the label, mapped
through the model's calibration to the share of such decisions that were right.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from router.classify.calibration import raw_score
from router.classify.config import TriageConfig
from router.classify.model import Analysis
from router.classify.rules import RuleMatches
from router.classify.urgency import forced, rules_verdict, within_bounds

SECURITY, CRITICAL = "security", "critical"


@dataclass(frozen=True, slots=True)
class Decision:
    category: str
    urgency: str
    scores: dict[str, float]
    reasons: tuple[str, ...]
    confidence: dict[str, float]      # label -> calibrated confidence (raw without a calibrated model)
    raw: dict[str, float]             # label -> raw score before calibration
    calibrated: bool = False


def decide(matches: RuleMatches, analysis: Analysis | None, config: TriageConfig,
           secret_kinds: Sequence[str] = ()) -> Decision:
    """The labels of one message, with the reasons for them."""
    reasons = [hit.reason() for hit in matches.category_hits] + list(matches.negated)
    if analysis is None:
        scores = {c: matches.category[c] for c in config.categories if c in matches.category}
    else:
        scores = analysis.category
    if secret_kinds and SECURITY in config.categories and CRITICAL in config.urgencies:
        reasons.append(f"secret present: {', '.join(secret_kinds)} -> {CRITICAL} {SECURITY}")
        certain = {"category": 1.0, "urgency": 1.0}
        return Decision(SECURITY, CRITICAL, scores, tuple(reasons), certain, certain, analysis is not None)
    urgency_p: float | None = 0.0       # the model's probability of the chosen urgency; None: fixed by category
    if SECURITY in config.categories and forced(matches.urgency(SECURITY)[0], config):
        # Money or keys at risk right now: the rules decide, whatever the tone.
        reasons.append(f"{SECURITY}: money or keys at risk, the rules decide")
        category, urgency = SECURITY, rules_verdict(matches, SECURITY, config, reasons)
        if analysis is not None:
            urgency_p = analysis.urgency(SECURITY).get(urgency, 0.0)
    elif analysis is None:
        category = _pick(matches.category, lambda best: best * config.decision["tie_ratio"], config)
        urgency = rules_verdict(matches, category, config, reasons)
    else:
        category = _pick(scores, lambda best: best - config.combine["tie_margin"], config)
        lead = _clear_rules_lead(matches.category, config)
        # The model's choice stands when its own rules are strong too ("login from a new
        # device" is security however many account words the message has), unless
        # the urgency rules explain its risk away ("my bridge is stuck and the USDT is
        # gone" is the customer's own transfer).
        backed = (matches.category.get(category, 0.0) >= config.decision["force_threshold"]
                  and not _rules_speak_against(matches.urgency(category)[0], config.urgencies[0], config))
        if (lead is not None and lead != category and not backed
                and scores.get(category, 0.0) < config.combine["model_sure"]):
            reasons.append(f"rules: {lead} leads clearly; the model's {category} "
                           f"({scores.get(category, 0.0):.2f}) is not sure enough to overrule them")
            category = lead
        # The words behind the model's choice matter when no rule of that category
        # matched (the rules' reasons explain it otherwise), and they cost time.
        reasons.append(_explain(analysis, "category", analysis.category, category,
                                with_words=category not in matches.category))
        urgency, urgency_p = _model_urgency(matches, analysis, category, config, reasons)
    raw = _raw(matches, analysis, config, category, urgency, urgency_p)
    if analysis is None:
        return Decision(category, urgency, scores, tuple(reasons), raw, raw, False)
    calibrators = analysis.model.calibrators
    confidence = {label: calibrators[label](value) if label in calibrators else value
                  for label, value in raw.items()}
    return Decision(category, urgency, scores, tuple(reasons), confidence, raw, bool(calibrators))


def _raw(matches: RuleMatches, analysis: Analysis | None, config: TriageConfig, category: str, urgency: str,
         urgency_p: float | None) -> dict[str, float]:
    """Each label's raw score (`calibration.raw_score`); an urgency fixed by the
    category's bounds is as sure as the category."""
    scale = config.combine["rule_scale"]
    model_p = analysis.category.get(category, 0.0) if analysis is not None else 0.0
    category_raw = raw_score(model_p, matches.category.get(category, 0.0), scale)
    if urgency_p is None:
        return {"category": category_raw, "urgency": category_raw}
    totals, _ = matches.urgency(category)
    return {"category": category_raw, "urgency": raw_score(urgency_p, totals.get(urgency, 0.0), scale)}


def _clear_rules_lead(totals: dict[str, float], config: TriageConfig) -> str | None:
    """The rules' category when it beats every other by `rules_margin` times and is strong."""
    ranked = sorted(totals.values(), reverse=True)
    if not ranked or ranked[0] < config.decision["force_threshold"]:
        return None
    if len(ranked) > 1 and ranked[0] < config.combine["rules_margin"] * ranked[1]:
        return None
    return max(totals, key=totals.__getitem__)


def _pick(scores: dict[str, float], floor_of, config: TriageConfig) -> str:
    """The best category, or among those near it the one of highest priority."""
    best = max(scores.values(), default=0.0)
    if best <= 0:
        return config.default_category
    floor = floor_of(best)
    return next(c for c in config.categories if scores.get(c, 0.0) >= floor)   # priority order


def _model_urgency(matches: RuleMatches, analysis: Analysis, category: str, config: TriageConfig,
                   reasons: list[str]) -> tuple[str, float | None]:
    """The urgency and the model's probability for it (None when the category fixes it)."""
    bounds = config.category_urgency[category]
    if bounds.min == bounds.max:           # nothing to decide: "every policy question is normal"
        reasons.append(f"urgency {bounds.min}: always, for {category}")
        return bounds.min, None
    probs = analysis.urgency(category)
    totals, hits = matches.urgency(category)
    reasons.extend(hit.reason() for hit in hits)
    order = config.urgencies
    chosen = max(order, key=lambda u: probs.get(u, 0.0))           # ties: the first, most urgent
    reasons.append(_explain(analysis, "urgency", probs, chosen))
    top = order[0]
    if chosen != top and totals and forced(totals, config):
        reasons.append(f"urgency {top}: rules reach the force threshold")
        chosen = top
    elif _rules_speak_against(totals, top, config):
        if chosen == top and probs[top] < config.combine["model_sure"]:
            # "I told them nothing and hung up": the customer's own words outweigh an
            # unsure model's reading of "phrase" and "support" as an emergency.
            chosen = max((level for level in order if level != top), key=lambda level: totals.get(level, 0.0))
            reasons.append(f"urgency {chosen}: the rules say so; the model's {top} ({probs[top]:.2f}) is not sure")
    elif probs.get(top, 0.0) >= config.combine["critical_threshold"]:
        if chosen != top:
            reasons.append(f"urgency {top}: model gives it {probs[top]:.2f}, at least the critical threshold "
                           f"{config.combine['critical_threshold']:.2f}")
        chosen = top
    elif chosen == top:
        chosen = max((level for level in order if level != top), key=lambda level: probs.get(level, 0.0))
        reasons.append(f"urgency {chosen}: the model's {top} ({probs[top]:.2f}) is under the critical threshold "
                       f"{config.combine['critical_threshold']:.2f}")
    chosen = within_bounds(chosen, category, config, reasons)
    return chosen, probs.get(chosen, 0.0)


def _rules_speak_against(totals: dict[str, float], top: str, config: TriageConfig) -> bool:
    """Whether the urgency rules clearly choose a calmer level than `top` ("funds are
    fine on chain", "I sent nothing"): the model's critical floor is there for when
    the rules are silent, not for overruling them."""
    calmer = max((total for level, total in totals.items() if level != top), default=0.0)
    return calmer >= config.decision["force_threshold"] and calmer > totals.get(top, 0.0)


def _explain(analysis: Analysis, label: str, probs: dict[str, float], chosen: str, with_words: bool = False) -> str:
    """"model: security 0.91 (then account 0.05); words: 被盗, stolen" for an agent."""
    others = [c for c in probs if c != chosen]
    text = f"model: {label} {chosen} {probs.get(chosen, 0.0):.2f}"
    if others:
        runner_up = max(others, key=probs.__getitem__)
        text += f" (then {runner_up} {probs[runner_up]:.2f})"
    words = analysis.words(label, chosen) if with_words else []
    return text + (f"; words: {', '.join(words)}" if words else "")
