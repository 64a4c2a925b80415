"""GET /api/reports/summary, the Reports page's figures as JSON, on both databases: exact on
the report desk, the caller's own pools only, one pool by name (404 unknown, 403 not the
caller's), and a range that is not one refused with 422 in words."""
from __future__ import annotations

import httpx

from report_desk import build

RANGE = {"start": "2031-03-04T00:00:00Z", "end": "2031-03-07T00:00:00Z"}


def _summary(api, agent: str = "erin", **params) -> httpx.Response:
    base, auth = api
    return httpx.get(f"{base}/api/reports/summary", headers=auth(agent), params=params)


def test_the_summary_gives_the_pages_figures(api, broker, time_machine):
    build(api, time_machine)
    response = _summary(api, **RANGE)
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["start"], body["end"], body["pool"]) == ("2031-03-04T00:00:00Z", "2031-03-07T00:00:00Z", None)
    assert body["conversations"] == 5
    assert body["first_reply_seconds"] == {"count": 3, "p50": 3600.0, "p90": 87120.0}
    assert body["resolution_seconds"] == {"count": 2, "p50": 16200.0, "p90": 20520.0}
    assert (body["first_reply_met"], body["first_reply_breached"], body["first_reply_open"]) == (2, 2, 1)
    assert (body["share_met"], body["share_breached"]) == (0.5, 0.5)
    assert body["by_channel"] == [{"name": "email", "count": 4}, {"name": "telegram", "count": 1}]
    assert body["by_hour"][8:12] == [1, 2, 0, 2] and sum(body["by_hour"]) == 5
    assert body["by_day"] == [{"day": "2031-03-04", "count": 3}, {"day": "2031-03-05", "count": 1},
                              {"day": "2031-03-06", "count": 1}]
    assert _summary(api, pool="tech", **RANGE).json()["by_channel"] == [{"name": "email", "count": 1}]
    # The default: the 7 days up to now (the desk's clock stands at 2031-03-06 09:00).
    assert _summary(api).json()["conversations"] == 6


def test_an_agent_gets_their_pools_only(api, broker, time_machine):
    build(api, time_machine)
    alice = _summary(api, "alice", **RANGE).json()
    assert alice["conversations"] == 2 and alice["by_category"] == [{"name": "transaction", "count": 2}]
    assert _summary(api, "alice", pool="transactions", **RANGE).json()["conversations"] == 2
    refused = _summary(api, "alice", pool="tech", **RANGE)
    assert refused.status_code == 403 and "tech" in refused.json()["detail"]
    assert _summary(api, "alice", pool="billing").status_code == 404


def test_a_range_that_is_not_one_is_refused(api, broker):
    base, _ = api
    assert httpx.get(f"{base}/api/reports/summary").status_code == 401
    for params, words in (({"start": "2031-03-05T00:00:00Z", "end": "2031-03-04T00:00:00Z"}, "before end"),
                          ({"start": "2030-01-01T00:00:00Z", "end": "2031-03-04T00:00:00Z"}, "at most 366 days"),
                          ({"end": "0001-01-02T00:00:00Z"}, "ordinary times")):
        response = _summary(api, **params)
        assert response.status_code == 422 and words in response.json()["detail"], (params, response.text)
    assert _summary(api, start="yesterday").status_code == 422
