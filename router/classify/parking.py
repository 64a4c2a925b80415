"""Whether a message is too unsure to route: below the configured calibrated
confidence it opens in the triage pool, where a lead labels it.

Only a calibrated confidence parks a message (rules alone give raw scores that
mean no share of anything), and a secret found never does: it is critical
security at once, whatever the confidence.
"""
from __future__ import annotations

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
