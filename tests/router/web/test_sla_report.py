"""GET /api/reports/sla: first-reply percentiles in calendar and business seconds, the share
of first replies met and breached, and the counts, in total and per pool, channel and
agent, for the conversations opened in the range; filters by pool and channel; refuses a
caller without a token and parameters that name nothing."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx

from customer_mail import show, write_in
from router.queue import tick

T0 = datetime(2031, 3, 4, 9, 0, tzinfo=UTC)  # Tuesday 17:00 in Shanghai, the office's zone
CRASH = "The app crashes when I open it"  # tech pool, normal: 24 h first reply
FEES = "What are the fees for sending BTC?"  # general pool, normal


def _report(api, **params) -> httpx.Response:
    base, auth = api
    return httpx.get(f"{base}/api/reports/sla", headers=auth(), params=params)


def test_report_counts_percentiles_and_shares_per_pool_channel_and_agent(api, broker, time_machine):
    base, auth = api
    time_machine.move_to(T0, tick=False)
    quick, _ = write_in(CRASH, subject="Crash", sender="quick@example.com")
    late, _ = write_in(FEES, subject="Fees", sender="late@example.com")
    never, _ = write_in(CRASH, subject="Crash again", sender="never@example.com")

    time_machine.move_to(T0 + timedelta(hours=1), tick=False)
    assert httpx.post(f"{base}/api/conversations/{quick}/reply", headers=auth(),
                      json={"text": "Please update the app."}).status_code == 201
    time_machine.move_to(T0 + timedelta(hours=25), tick=False)
    tick.run()  # late and never breach their first reply: escalated to supervisors
    time_machine.move_to(T0 + timedelta(hours=30), tick=False)
    assert httpx.post(f"{base}/api/conversations/{late}/reply", headers=auth(),
                      json={"text": "The fee depends on the network."}).status_code == 201
    time_machine.move_to(T0 + timedelta(hours=48), tick=False)

    response = _report(api, since=(T0 - timedelta(hours=1)).isoformat(), until=(T0 + timedelta(hours=1)).isoformat())
    assert response.status_code == 200, response.text
    body = response.json()
    total = body["total"]
    assert (total["conversations"], total["first_replied"]) == (3, 2)
    assert (total["first_reply_met"], total["first_reply_breached"], total["first_reply_open"]) == (1, 2, 0)
    assert total["share_met"] == round(1 / 3, 4) and total["share_breached"] == round(2 / 3, 4)
    assert total["breaches"] == 2
    # Calendar: 1 h and 30 h. Business (Mon-Fri 09-12, 13-18 Shanghai): 1 h (Tue 17-18) and
    # 9 h (Tue 17-18, Wed 09-12 and 13-18).
    assert total["first_reply_seconds"]["calendar"] == {"p50": (3600 + 108000) / 2,
                                                        "p90": 3600 + 0.9 * (108000 - 3600)}
    assert total["first_reply_seconds"]["business"] == {"p50": (3600 + 32400) / 2,
                                                        "p90": 3600 + 0.9 * (32400 - 3600)}
    assert {name: g["conversations"] for name, g in body["by_pool"].items()} == {"tech": 1, "supervisors": 2}
    assert body["by_pool"]["tech"]["share_met"] == 1.0
    assert set(body["by_channel"]) == {"email"}
    assigned = {show(api, cid)["assignee"] or "(unassigned)" for cid in (quick, late, never)}
    assert set(body["by_agent"]) == assigned
    assert sum(g["conversations"] for g in body["by_agent"].values()) == 3

    only_tech = _report(api, since=(T0 - timedelta(hours=1)).isoformat(), pool="tech").json()
    assert only_tech["total"]["conversations"] == 1 and set(only_tech["by_pool"]) == {"tech"}
    assert _report(api, since=(T0 - timedelta(hours=1)).isoformat(), channel="chat").json()["total"][
        "conversations"] == 0
    assert _report(api, since=(T0 + timedelta(hours=2)).isoformat()).json()["total"]["conversations"] == 0


def test_report_refuses_strangers_and_parameters_that_name_nothing(api, broker):
    base, _ = api
    assert httpx.get(f"{base}/api/reports/sla").status_code == 401
    assert _report(api, channel="fax").status_code == 422
    assert _report(api, pool="billing").status_code == 404
    assert _report(api, since="2031-03-05T00:00:00Z", until="2031-03-04T00:00:00Z").status_code == 422
    assert _report(api, since="yesterday").status_code == 422
