"""The Reports page in a real browser (issue 20): Playwright drives Debian's chromium against
the running app on a desk built through the real code paths. A supervisor signs in, opens
Reports from the navigation, picks a range; the plots are drawn from the page itself (every
request the browser makes goes to the desk); a preset and a bad range behave. Screenshots go
to the test's output folder."""
from __future__ import annotations

from dashboard import PASSWORD, give_password, needs_chromium
from report_desk import FIRST_DAY, LAST_DAY, NOW, build

pytestmark = needs_chromium



def test_a_supervisor_reads_the_reports(api, broker, time_machine, browser, shots):
    base, _ = api
    build(api, time_machine)
    time_machine.move_to(NOW, tick=True)  # the browser's waits need a clock that runs
    give_password("erin")
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto(base + "/")
    page.fill("input[name=name]", "erin")
    page.fill("input[name=password]", PASSWORD)
    page.click("form#login button[type=submit]")
    page.wait_for_url(base + "/work")

    page.click("#nav-reports")
    page.wait_for_url(base + "/reports")
    page.fill("input[name=start]", FIRST_DAY)
    page.fill("input[name=end]", LAST_DAY)
    page.click("#show-range")
    page.wait_for_selector("#by-channel svg.plot")
    # Six plots of the conversations, and the CSAT plot: the two resolutions asked for a rating.
    assert page.locator("svg.plot").count() == 7
    assert page.locator("#csat svg.plot").count() == 1
    assert page.locator("#met").inner_text() == "2" and page.locator("#breached").inner_text() == "2"
    assert page.locator("#by-channel svg.plot rect.bar").count() == 2  # email and telegram
    box = page.locator("#by-hour svg.plot").bounding_box()
    assert box and box["width"] > 300 and box["height"] > 80  # drawn, not an empty box
    page.screenshot(path=shots / "reports.png", full_page=True)

    page.click("a.preset >> nth=1")  # the last 30 days
    page.wait_for_selector("#times svg.plot")
    assert page.input_value("input[name=start]") == "2031-02-05"
    page.fill("input[name=start]", LAST_DAY)
    page.fill("input[name=end]", FIRST_DAY)
    page.click("#show-range")
    page.wait_for_selector("#report-error")
    page.screenshot(path=shots / "reports-bad-range.png")
    assert requested and all(url.startswith(base) for url in requested), \
        [u for u in requested if not u.startswith(base)]
