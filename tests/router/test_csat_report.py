"""`csat_summary` over real resolutions: customers write in, are answered and resolved over
HTTP, two of three rate by their links; the summary counts requests, responses, each score
and the average, for a range and for some pools only."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from csat_support import answered, rate, requests_in, resolve
from router.clock import utcnow
from router.csat_report import CsatSummary, csat_summary
from router.db import session_scope
from router.models import Csat, Pool
from router.outbox import deliver_pending

CASES = [  # (subject, text, score or None)
    ("Withdrawal missing", "My withdrawal of 200 USDT has not arrived.", 5),
    ("Cannot log in", "I cannot log in to my account, the app says my account is locked.", 2),
    ("Deposit missing", "My deposit of 1 ETH has not arrived in the wallet.", None),
]


def test_counts_scores_requests_and_average_by_range_and_pool(api, broker, sink):
    base, _ = api
    start = utcnow()
    for n, (subject, body, score) in enumerate(CASES):
        cid = answered(api, sink, sender=f"report-{n}@example.com", subject=subject, text=body)
        resolve(api, cid)
        deliver_pending()
        [token] = requests_in(sink)
        if score is not None:
            assert rate(base, token, str(score)).status_code == 200
    end = utcnow() + timedelta(seconds=1)
    with session_scope() as session:
        everything = csat_summary(session, start, end, None)
        pools = dict(session.execute(select(Csat.score, Csat.pool_id)).all())
        names = dict(session.execute(select(Pool.id, Pool.name)).all())
        first_pool = csat_summary(session, start, end, [pools[5]])
        before = csat_summary(session, start - timedelta(days=1), start, None)
        nowhere = csat_summary(session, start, end, [])
    assert (everything.requests, everything.responses, everything.average) == (3, 2, 3.5)
    assert everything.counts == {1: 0, 2: 1, 3: 0, 4: 0, 5: 1}
    assert everything.response_rate == 2 / 3
    assert names[pools[5]] != names[pools[2]]  # the cases went to two pools
    assert (first_pool.responses, first_pool.counts[5], first_pool.counts[2]) == (1, 1, 0)
    assert before == CsatSummary() and nowhere == CsatSummary()
    assert before.average is None and before.response_rate is None
