"""Decide category and urgency from what the rules found and what the model thinks.

Category: rules alone pick the best-scoring category, and near-ties go to the
higher priority (taxonomy order).  With a model, each category scores
rule_weight * s / (s + rule_scale) + model_weight * p, and near-ties again go by
priority.  Urgency follows substance: urgency rules that apply to the chosen
category, the category's default, the model, then the category's bounds
(policy is always normal, praise always low, ...).  A flagged secret makes the
message critical security whatever else is said; so do money-at-risk rules that
reach the force threshold.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from router.classify.config import TriageConfig
from router.classify.rules import RuleMatches

SECURITY, CRITICAL = "security", "critical"


@dataclass(frozen=True, slots=True)
class Decision:
    category: str
    urgency: str
    scores: dict[str, float]
    reasons: tuple[str, ...]


def decide(matches: RuleMatches, probs: dict[str, dict[str, float]] | None, config: TriageConfig,
           secret_kinds: Sequence[str] = ()) -> Decision:
    """The labels of one message, with the reasons for them."""
    reasons = [hit.reason() for hit in matches.category_hits] + list(matches.negated)
    scores = _category_scores(matches.category, probs, config)
    if secret_kinds and SECURITY in config.categories and CRITICAL in config.urgencies:
        reasons.append(f"secret present: {', '.join(secret_kinds)} -> {CRITICAL} {SECURITY}")
        return Decision(SECURITY, CRITICAL, scores, tuple(reasons))
    category = _pick_category(scores, probs is not None, config)
    if probs is not None:
        best = max(probs["category"], key=probs["category"].get)
        reasons.append(f"model: {best} {probs['category'][best]:.2f}")
    urgency = _urgency(category, matches, probs, config, reasons)
    return Decision(category, urgency, scores, tuple(reasons))


def _squash(total: float, scale: float) -> float:
    return total / (total + scale) if total > 0 else 0.0


def _category_scores(totals: dict[str, float], probs, config: TriageConfig) -> dict[str, float]:
    if probs is None:
        return {c: totals[c] for c in config.categories if c in totals}
    k = config.combine
    model = probs["category"]
    return {c: round(k["rule_weight"] * _squash(totals.get(c, 0.0), k["rule_scale"])
                     + k["model_weight"] * model.get(c, 0.0), 4) for c in config.categories}


def _pick_category(scores: dict[str, float], with_model: bool, config: TriageConfig) -> str:
    best = max(scores.values(), default=0.0)
    if best <= 0:
        return config.default_category
    if with_model:
        floor = best - config.combine["tie_margin"]
    else:
        floor = best * config.decision["tie_ratio"]
    return next(c for c in config.categories if scores.get(c, 0.0) >= floor)   # priority order


def _urgency(category: str, matches: RuleMatches, probs, config: TriageConfig, reasons: list[str]) -> str:
    order = config.urgencies                       # most urgent first
    bounds = config.category_urgency[category]
    totals, hits = matches.urgency(category)
    reasons.extend(hit.reason() for hit in hits)
    top = order[0]
    if totals.get(top, 0.0) >= config.decision["force_threshold"] and totals[top] >= max(totals.values()):
        chosen = top
        reasons.append(f"urgency {top}: rules reach the force threshold")
    elif probs is None:
        chosen = _rules_urgency(totals, bounds.default, config)
    else:
        chosen = _combined_urgency(totals, probs["urgency"], bounds.default, config, reasons)
    rank = order.index
    kept = order[min(max(rank(chosen), rank(bounds.max)), rank(bounds.min))]
    if kept != chosen:
        reasons.append(f"urgency {chosen} -> {kept}: {category} stays between {bounds.min} and {bounds.max}")
    return kept


def _rules_urgency(totals: dict[str, float], default: str, config: TriageConfig) -> str:
    strong = {u: t for u, t in totals.items() if t >= config.decision["urgency_threshold"]}
    if not strong:
        return default
    # The highest total wins; a tie goes to the more urgent (config order).
    return min(strong, key=lambda u: (-strong[u], config.urgencies.index(u)))


def _combined_urgency(totals: dict[str, float], model: dict[str, float], default: str,
                      config: TriageConfig, reasons: list[str]) -> str:
    k = config.combine
    scores = {u: k["rule_weight"] * _squash(totals.get(u, 0.0), k["rule_scale"])
              + k["model_weight"] * model.get(u, 0.0) + (k["default_bonus"] if u == default else 0.0)
              for u in config.urgencies}
    chosen = max(config.urgencies, key=lambda u: scores[u])   # ties: the first, most urgent
    top = config.urgencies[0]
    reasons.append(f"model: urgency {max(model, key=model.get)} {max(model.values()):.2f}")
    if chosen != top and model.get(top, 0.0) >= k["critical_floor"]:
        reasons.append(f"urgency {top}: model gives it {model[top]:.2f} (critical recall first)")
        chosen = top
    return chosen
