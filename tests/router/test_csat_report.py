"""`csat_summary` over real resolutions: customers write in, are answered and resolved over
HTTP, two of three rate by their links; the summary counts requests, responses, each score
and the average, for a range and for some pools only."""
from __future__ import annotations

import re
from datetime import timedelta

import httpx
from sqlalchemy import select

from csat_support import answered, rate, requests_in, resolve
from dashboard import signed_in
from router.clock import utcnow
from router.delivery.outbox import deliver_pending
from router.reports.csat import CsatSummary, csat_summary
from router.storage.db import session_scope
from router.storage.models import Csat, Pool

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


def test_the_reports_page_and_api_show_the_ratings(api, broker, sink):
    """The ratings reach both faces of the reports: the JSON summary and the page's plot."""
    base, auth = api
    for n, score in enumerate((4, 4, 1)):
        cid = answered(api, sink, sender=f"shown-{n}@example.com", subject="Withdrawal missing",
                       text="My withdrawal of 200 USDT has not arrived.")
        resolve(api, cid)
        deliver_pending()
        token = requests_in(sink)[-1]
        assert rate(base, token, str(score)).status_code == 200
    body = httpx.get(f"{base}/api/reports/summary", headers=auth()).json()
    assert body["csat"] == {"requests": 3, "responses": 3, "average": 3.0,
                            "counts": {"1": 1, "2": 0, "3": 0, "4": 2, "5": 0}}
    erin = signed_in(base, "erin")
    page = erin.get("/reports").text
    csat = page[page.index('id="csat"'):]
    assert "<svg" in csat and "3.00" in csat
    assert re.search(r"<td>1</td><td>0</td><td>0</td><td>2</td><td>0</td>\s*<td>3</td><td>3</td>", csat)
