"""GET /reports on both databases: signed-in only; the figures of the range in plots (inline
SVG, each with a <title>) and in tables; an agent's own pools only, a supervisor's all or
the one picked; a bad range explained on the page with 422; nothing from another host."""
from __future__ import annotations

import re

import httpx

from dashboard import signed_in
from report_desk import FIRST_DAY, LAST_DAY, build
from router.web.pages.charts import csat_chart
from router.web.pages.strings import TEXT

ZH = TEXT["zh"]  # erin, alice and bob read Chinese first (desk.toml languages)

RANGE = {"start": FIRST_DAY, "end": LAST_DAY}
_CELLS = re.compile(r"<tr><td>([^<]+)</td><td>(\d+)</td></tr>")


def _section(html: str, name: str) -> str:
    return html.split(f'id="{name}"', 1)[1].split("</section>", 1)[0]


def _table(html: str, name: str) -> dict[str, int]:
    return {k: int(v) for k, v in _CELLS.findall(_section(html, name))}


def _outside_links(html: str) -> list[str]:
    """Every src, href or url() that would make the browser fetch from another host."""
    found = re.findall(r'(?:src|href|action)="([^"]*)"', html) + re.findall(r"url\(([^)]*)\)", html)
    return [u for u in found if re.match(r"(?i)(https?:)?//", u.strip("'\""))]


def test_a_supervisor_sees_every_pool_and_may_pick_one(api, broker, time_machine):
    base, _ = api
    build(api, time_machine)
    erin = signed_in(base, "erin")
    page = erin.get("/reports", params=RANGE)
    assert page.status_code == 200, page.text[:500]
    html = page.text
    assert ZH["report_scope"].format(start="2031-03-04", end="2031-03-06", n=5) in html
    assert _table(html, "by-channel") == {"email": 4, "telegram": 1}
    assert _table(html, "by-category") == {"policy": 2, "transaction": 2, "technical": 1}
    hours = _table(html, "by-hour")
    assert (hours["08:00"], hours["09:00"], hours["11:00"], sum(hours.values())) == (1, 2, 2, 5)
    assert _table(html, "by-day") == {"2031-03-04": 3, "2031-03-05": 1, "2031-03-06": 1}
    assert re.search(r'<td id="met">2</td><td id="breached">2</td><td id="open">1</td>', html)
    times = _section(html, "times")
    assert "(3600.0 s)" in times and "(87120.0 s)" in times and "(16200.0 s)" in times
    # Seven plots (the six of the conversations, and CSAT: the two resolutions were asked for a
    # rating, none answered), each an inline SVG with its own title; nothing fetched from elsewhere.
    assert html.count("<svg ") == 7 and html.count('<svg class="plot" role="img"') == 7
    csat = _section(html, "csat")
    assert "<svg " in csat and re.search(r"<td>0</td>\s*<td>0</td><td>2</td>", csat)
    assert re.search(rf'<svg [^>]*><title id="plot-\d+">{ZH["by_channel"]}</title>', html)
    assert _outside_links(html) == []
    assert 'id="nav-reports"' in html

    tech = erin.get("/reports", params={**RANGE, "pool": "tech"}).text
    assert f'{ZH["pool"]}: <strong>tech</strong>' in tech
    assert _table(tech, "by-channel") == {"email": 1}


def test_an_agent_sees_only_their_pools(api, broker, time_machine):
    base, _ = api
    build(api, time_machine)
    alice = signed_in(base, "alice")  # security, transactions, supervisors
    html = alice.get("/reports", params=RANGE).text
    assert ZH["report_scope"].format(start="2031-03-04", end="2031-03-06", n=2) in html
    assert _table(html, "by-channel") == {"email": 1, "telegram": 1}
    assert _table(html, "by-category") == {"transaction": 2}
    assert re.search(r'<td id="met">1</td><td id="breached">1</td><td id="open">0</td>', html)
    assert 'value="tech"' not in html  # the pool picker offers her pools only
    refused = alice.get("/reports", params={**RANGE, "pool": "tech"})
    assert refused.status_code == 403 and ZH["bad_pool"].format(pool="tech") in refused.text
    assert "<svg" not in refused.text
    unknown = alice.get("/reports", params={**RANGE, "pool": "billing"})
    assert unknown.status_code == 404 and ZH["bad_pool"].format(pool="billing") in unknown.text


def test_a_bad_range_is_explained_on_the_page(api, broker, time_machine):
    base, _ = api
    build(api, time_machine)
    alice = signed_in(base, "alice")
    for params, words in (({"start": "2031-03-06", "end": "2031-03-04"}, ZH["bad_order"]),
                          ({"start": "2031-3-4x"}, ZH["bad_date"]),
                          ({"start": "2030-01-01", "end": "2031-03-06"}, ZH["too_long"].format(max=366)),
                          ({"start": "9999-12-30", "end": "9999-12-31"}, ZH["bad_date"]),
                          ({"days": "0"}, ZH["bad_days"].format(max=366))):
        response = alice.get("/reports", params=params)
        assert response.status_code == 422, (params, response.status_code)
        assert words in response.text and 'id="report-error"' in response.text, params
    assert alice.get("/reports", params={"start": "2030-03-06", "end": "2031-03-06"}).status_code == 200


def test_the_default_and_presets_end_today(api, broker, time_machine):
    base, _ = api
    build(api, time_machine)  # the clock stands on 2031-03-06
    erin = signed_in(base, "erin")
    scope = ZH["report_scope"]
    assert scope.format(start="2031-02-28", end="2031-03-06", n=6) in erin.get("/reports").text
    assert scope.format(start="2031-02-05", end="2031-03-06", n=6) in erin.get("/reports", params={"days": "30"}).text
    assert httpx.get(f"{base}/reports", follow_redirects=False).status_code == 303  # a stranger signs in first


def test_the_page_is_in_the_agents_language(api, broker, time_machine):
    base, _ = api
    build(api, time_machine)
    carol = signed_in(base, "carol")  # languages = ["en"]
    html = carol.get("/reports", params=RANGE).text
    assert "Volume by channel" in html and "各渠道工单量" not in html
    assert "Conversations opened 2031-03-04 to 2031-03-06 (UTC): 3." in html  # accounts, tech, general...
    assert "各渠道工单量" in signed_in(base, "bob").get("/reports", params=RANGE).text


def test_the_csat_plot_draws_a_column_per_score():
    svg = str(csat_chart("CSAT", {5: 8, 4: 3, 1: 1}))
    assert "<title" in svg and ">CSAT</title>" in svg
    bars = re.findall(r"<title>(\d): (\d+)</title><rect [^>]*height=\"([\d.]+)\"", svg)
    assert [(s, int(n)) for s, n, _ in bars] == [("1", 1), ("2", 0), ("3", 0), ("4", 3), ("5", 8)]
    heights = {s: float(h) for s, _, h in bars}
    assert heights["5"] == 160.0 and heights["2"] == 0.0 and heights["4"] == 60.0
