"""The rules' urgency verdict for a message once its category is known.

Urgency follows substance, not tone (taxonomy): only urgency rules that apply to
the category count, a category without a strong enough rule keeps its default,
and the result stays between the category's bounds (a policy question is always
normal, praise always low).  Money or keys at risk right now is critical as soon
as the critical rules reach the force threshold, model or not.
"""
from __future__ import annotations

from router.classify.config import TriageConfig
from router.classify.rules import RuleMatches


def forced(totals: dict[str, float], config: TriageConfig) -> bool:
    """Whether the most urgent level's rules alone decide (and outweigh the others)."""
    top = config.urgencies[0]
    return totals.get(top, 0.0) >= config.decision["force_threshold"] and totals[top] >= max(totals.values())


def rules_verdict(matches: RuleMatches, category: str, config: TriageConfig,
                  reasons: list[str] | None = None) -> str:
    """The urgency the rules give a message of `category`, kept within its bounds."""
    totals, hits = matches.urgency(category)
    if reasons is not None:
        reasons.extend(hit.reason() for hit in hits)
    default = config.category_urgency[category].default
    if forced(totals, config):
        chosen = config.urgencies[0]
        if reasons is not None:
            reasons.append(f"urgency {chosen}: rules reach the force threshold")
    else:
        strong = {u: t for u, t in totals.items() if t >= config.decision["urgency_threshold"]}
        # The highest total wins; a tie goes to the more urgent (config order).
        chosen = min(strong, key=lambda u: (-strong[u], config.urgencies.index(u))) if strong else default
    return within_bounds(chosen, category, config, reasons)


def within_bounds(urgency: str, category: str, config: TriageConfig, reasons: list[str] | None = None) -> str:
    """`urgency` moved into the bounds of `category` (taxonomy conventions)."""
    order, bounds = config.urgencies, config.category_urgency[category]
    rank = order.index
    kept = order[min(max(rank(urgency), rank(bounds.max)), rank(bounds.min))]
    if kept != urgency and reasons is not None:
        reasons.append(f"urgency {urgency} -> {kept}: {category} stays between {bounds.min} and {bounds.max}")
    return kept
