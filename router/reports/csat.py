"""Customer satisfaction over a time range, for the reports: of the resolutions made in
the range (optionally in some pools only), how many were asked, how many answered, how
the answers spread over 1-5 and their average. One grouped query."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlmodel import Session, col

from router.storage.models import Csat


def _no_scores() -> dict[int, int]:
    return dict.fromkeys(range(1, 6), 0)


@dataclass
class CsatSummary:
    requests: int = 0  # rating requests sent for resolutions in the range
    responses: int = 0  # of those, answered
    counts: dict[int, int] = field(default_factory=_no_scores)  # score 1-5 -> answers
    average: float | None = None  # of the answers; None when there is none

    @property
    def response_rate(self) -> float | None:
        return self.responses / self.requests if self.requests else None


def csat_summary(session: Session, start: datetime, end: datetime, pool_ids: list[int] | None) -> CsatSummary:
    """Resolutions in [start, end); `pool_ids` None for every pool, else those pools' only
    (the pool a conversation was in when it was resolved)."""
    query = select(col(Csat.score), func.count()).where(
        col(Csat.resolved_at) >= start, col(Csat.resolved_at) < end).group_by(col(Csat.score))
    if pool_ids is not None:
        query = query.where(col(Csat.pool_id).in_(pool_ids))
    summary = CsatSummary()
    for score, count in session.execute(query).all():
        summary.requests += count
        if score is not None:
            summary.counts[score] = count
            summary.responses += count
    if summary.responses:
        summary.average = round(sum(s * n for s, n in summary.counts.items()) / summary.responses, 2)
    return summary
