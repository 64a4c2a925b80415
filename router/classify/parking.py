"""Whether a message is too unsure to route: below the configured calibrated
confidence it opens in the triage pool, where a lead labels it.

Only a calibrated confidence parks a message (rules alone give raw scores that
mean no share of anything), and a secret found never does: it is critical
security at once, whatever the confidence.
"""
from __future__ import annotations

from collections.abc import Sequence

from router.classify.classifier import Classification
from router.classify.config import TriageConfig


def park_reason(result: Classification, config: TriageConfig) -> str | None:
    """Why `result` goes to the triage pool, or None when it routes as usual."""
    if result.secret or not result.calibrated or config.triage_below <= 0.0:
        return None
    unsure = [f"{label} {result.confidence[label]:.2f}" for label in ("category", "urgency")
              if result.confidence.get(label, 1.0) < config.triage_below]
    if not unsure:
        return None
    return (f"confidence under {config.triage_below:.2f} ({', '.join(unsure)}): "
            f"pool {config.triage_pool}, for a lead to label")


def parking_table(category: Sequence[float], urgency: Sequence[float], right: Sequence[bool], current: float,
                  floors: Sequence[float] = (0.3, 0.4, 0.5, 0.6, 0.7, 0.8)) -> list[str]:
    """For each floor: the share of messages it parks, and how often triage had both
    labels right on the parked and on the routed ones (what a lead would fix)."""
    lines = [f"  triage pool (configured below {current:.2f}): what each floor would park",
             "    below  parked   right when parked   right when routed"]
    n = len(right)
    for floor in floors:
        parked = [min(c, u) < floor for c, u in zip(category, urgency, strict=True)]
        held = [ok for ok, p in zip(right, parked, strict=True) if p]
        kept = [ok for ok, p in zip(right, parked, strict=True) if not p]
        share = f"{len(held) / n:6.1%}" if n else "   n/a"
        lines.append(f"    {floor:5.2f}  {share}   {_rate(held):>17}   {_rate(kept):>17}")
    return lines


def _rate(values: Sequence[bool]) -> str:
    return f"{sum(values) / len(values):.3f} of {len(values)}" if values else "-"
