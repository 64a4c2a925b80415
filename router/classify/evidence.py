"""The rules' findings as numbers the model weighs beside the words (stacking).

A hand-set weight cannot say how far to trust each rule family, and the model
alone, from a few thousand messages, misses what the desk's vocabulary knows.  So
the model reads both: for the category, the rule weight each category collected
(squashed into 0..1); for the urgency, the urgency rule totals that apply to the
chosen category, that category's default urgency, the rules' own verdict and the
category itself.  Training then learns, per class, how much the rules are worth.

`thin()` drops rule hits at random for extra training copies: the rules were
written while reading the training messages, so on them they look more complete
than they will on new ones, and a model that saw only complete rule evidence
would lean on the rules too hard.
"""
from __future__ import annotations

import random
from collections.abc import Sequence

import numpy as np

from router.classify.config import TriageConfig
from router.classify.rules import RuleMatches
from router.classify.urgency import rules_verdict


def squash(total: float, scale: float) -> float:
    """0 for no rule weight, towards 1 for much: one more rule matters less each time."""
    return total / (total + scale) if total > 0 else 0.0


Sparse = list[tuple[int, float]]   # (input, value) for the inputs that are not 0


def category_evidence(matches: RuleMatches, categories: Sequence[str], scale: float) -> Sparse:
    """One input per category: how much rule weight it collected."""
    return [(i, squash(matches.category[c], scale)) for i, c in enumerate(categories) if c in matches.category]


def urgency_evidence(matches: RuleMatches, category: str, config: TriageConfig, categories: Sequence[str],
                     urgencies: Sequence[str]) -> Sparse:
    """Urgency rule totals for `category`, its default, the rules' verdict, the category."""
    n = len(urgencies)
    totals, _ = matches.urgency(category)
    result = [(i, squash(totals[u], config.combine["rule_scale"])) for i, u in enumerate(urgencies) if u in totals]
    default = config.category_urgency[category].default
    verdict = rules_verdict(matches, category, config)
    result += [(offset + urgencies.index(label), 1.0) for offset, label in ((n, default), (2 * n, verdict))
               if label in urgencies]
    if category in categories:
        result.append((3 * n + categories.index(category), 1.0))
    return result


def evidence_size(label: str, categories: Sequence[str], urgencies: Sequence[str]) -> int:
    """How many evidence inputs `label` has."""
    return len(categories) if label == "category" else 3 * len(urgencies) + len(categories)


def dense(evidence: Sparse, size: int) -> np.ndarray:
    """`evidence` as a full vector of `size` inputs (for training)."""
    vector = np.zeros(size)
    for i, value in evidence:
        vector[i] = value
    return vector


def thin(matches: RuleMatches, rng: random.Random, rate: float) -> RuleMatches:
    """A copy of `matches` with each hit dropped with probability `rate`."""
    kept = [h for h in matches.category_hits if rng.random() >= rate]
    result = RuleMatches(category_hits=kept, negated=list(matches.negated),
                         urgency_hits=[h for h in matches.urgency_hits if rng.random() >= rate])
    for hit in kept:
        result.category[hit.rule.label] = result.category.get(hit.rule.label, 0.0) + hit.rule.weight
    return result
