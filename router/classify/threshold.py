"""Choose the decision threshold for `critical` from cross-validated decisions.

The desk's rule: critical recall first (a missed theft waits in a normal queue),
then precision (every false critical pulls a security agent off real theft).  So
among the thresholds whose out-of-fold critical recall is at least `min_recall`,
the one with the best precision wins; ties go to the lower threshold (more
recall).  The decisions are re-taken with each threshold from the same rule
matches and model analyses, so the sweep costs no training.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from router.classify.combine import decide
from router.classify.config import TriageConfig
from router.classify.model import Analysis
from router.classify.rules import RuleMatches

GRID = tuple(round(0.05 * i, 2) for i in range(2, 19))     # 0.10 .. 0.90
CRITICAL = "critical"


@dataclass(frozen=True, slots=True)
class Case:
    """One held-out message as the fold's model saw it, with its gold urgency."""
    matches: RuleMatches
    analysis: Analysis | None
    secret_kinds: tuple[str, ...]
    gold: str


@dataclass(frozen=True, slots=True)
class Point:
    threshold: float
    recall: float
    precision: float
    flagged: int


def sweep(cases: Sequence[Case], config: TriageConfig, grid: Sequence[float] = GRID) -> list[Point]:
    """Critical recall and precision of the cases decided with each threshold."""
    gold = sum(case.gold == CRITICAL for case in cases)
    points = []
    for t in grid:
        variant = replace(config, combine={**config.combine, "critical_threshold": t})
        said = [decide(c.matches, c.analysis, variant, c.secret_kinds).urgency == CRITICAL for c in cases]
        hits = sum(s and c.gold == CRITICAL for s, c in zip(said, cases, strict=True))
        flagged = sum(said)
        points.append(Point(t, hits / gold if gold else 1.0, hits / flagged if flagged else 1.0, flagged))
    return points


def choose(points: Sequence[Point], min_recall: float = 0.97) -> Point | None:
    """The best-precision point with recall at least `min_recall` (ties: lower threshold);
    when none reaches it, the best precision among the points of the highest recall
    (the threshold cannot buy more recall there: the misses come from elsewhere)."""
    if not points:
        return None
    fit = [p for p in points if p.recall >= min_recall] or \
        [p for p in points if p.recall == max(q.recall for q in points)]
    return max(fit, key=lambda p: (p.precision, -p.threshold))


def format_sweep(points: Sequence[Point], chosen: Point | None, current: float, min_recall: float) -> list[str]:
    lines = [(f"  critical threshold sweep (configured {current:.2f}; rule: recall >= {min_recall:.2f}, "
              f"then best precision)"), "    threshold  recall  precision  flagged"]
    lines += [f"    {p.threshold:9.2f}  {p.recall:6.3f}  {p.precision:9.3f}  {p.flagged:7}"
              + ("   <- chosen" if chosen is not None and p.threshold == chosen.threshold else "")
              for p in points]
    if chosen is not None and chosen.recall < min_recall:
        lines.append(f"    no threshold reaches recall {min_recall:.2f}: chosen for the highest recall, "
                     f"then the best precision")
    return lines
