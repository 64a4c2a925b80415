"""Reply deadlines, exactly: first reply, next reply and resolution from the desk's SLA
table, `due_at` the earliest open one, tightened by a raised urgency and moved by an
agent's correction; mail in through intake and the pipeline, agents through the API."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx

from config.desk import CHANNELS, URGENCIES, get_desk
from customer_mail import show, when, write_in

T0 = datetime(2026, 3, 2, 9, 0, 0, tzinfo=UTC)

# Texts the rules label with each urgency (asserted below before anything relies on it).
BY_URGENCY = {
    "critical": ("Wallet emptied", "My wallet was emptied, all my ETH is gone and I made no transfer!"),
    "high": ("Cannot log in", "I cannot log in to my account, it says my account is frozen"),
    "normal": ("App crash", "The app crashes when I open it"),
    "low": ("Thanks", "Thanks, your app is great! Keep up the good work."),
}


def policy(urgency: str, channel: str):
    """The README's rule, read off the desk's own table: the first [[sla]] row that matches."""
    for index, rule in enumerate(get_desk().sla):
        if rule.urgency in ("*", urgency) and rule.channel in ("*", channel):
            return rule, index
    raise AssertionError(f"desk.toml has no SLA row for {urgency} {channel}")


def deadlines(api, cid: int) -> dict:
    return {k: when(v) for k, v in show(api, cid)["deadlines"].items() if k != "seconds_left"}


def test_email_first_reply_and_resolution_follow_the_sla_row_of_each_urgency(api, broker, time_machine):
    for hour, urgency in enumerate(URGENCIES):
        created = T0 + timedelta(hours=hour)
        time_machine.move_to(created, tick=False)
        subject, text = BY_URGENCY[urgency]
        cid, _ = write_in(text, subject=subject, sender=f"{urgency}@example.com")
        detail = show(api, cid)
        assert detail["urgency"] == urgency, f"the test relies on {text!r} being {urgency}"
        assert when(detail["created_at"]) == created
        rule, index = policy(urgency, "email")
        got = deadlines(api, cid)
        assert got["first_reply_due_at"] == created + timedelta(seconds=rule.first_reply), urgency
        assert got["resolution_due_at"] == created + timedelta(seconds=rule.resolution), urgency
        assert got["next_reply_due_at"] is None
        assert got["due_at"] == min(got["first_reply_due_at"], got["resolution_due_at"])
        assert any(r["step"] == "deadlines" and f"sla[{index}]" in r["reason"] for r in detail["reasons"])


def test_first_reply_targets_are_the_issues_defaults_in_the_shipped_desk_and_without_a_table():
    # Email 1 h critical, 4 h high, 24 h normal and low; chat and Telegram 5 minutes for
    # high and critical, 15 for normal. The same whether the desk file says so or says
    # nothing (config.sla.DEFAULT_SLA).
    from config.desk import Desk

    expected = {("email", "critical"): 3600, ("email", "high"): 4 * 3600, ("email", "normal"): 24 * 3600,
                ("email", "low"): 24 * 3600, **{(ch, u): 300 for ch in ("chat", "telegram")
                                                 for u in ("critical", "high")},
                ("chat", "normal"): 900, ("telegram", "normal"): 900}
    shipped = get_desk()
    data = shipped.model_dump()
    del data["sla"]
    bare = Desk.model_validate(data)
    for desk in (shipped, bare):
        for (channel, urgency), seconds in expected.items():
            assert desk.sla_for(urgency, channel)[0].first_reply == seconds, (channel, urgency)
        for channel in CHANNELS:  # every channel and urgency finds a rule
            for urgency in URGENCIES:
                desk.sla_for(urgency, channel)


def test_next_reply_runs_from_the_customers_new_message_and_an_agent_reply_clears_it(
        api, broker, time_machine):
    base, auth = api
    time_machine.move_to(T0, tick=False)
    subject, text = BY_URGENCY["normal"]
    cid, _ = write_in(text, subject=subject, sender="next@example.com")
    rule, _ = policy(show(api, cid)["urgency"], "email")
    resolution = T0 + timedelta(seconds=rule.resolution)

    time_machine.move_to(T0 + timedelta(hours=1), tick=False)
    answer = httpx.post(f"{base}/api/conversations/{cid}/reply", headers=auth(),
                        json={"text": "Please update the app to the latest version."})
    assert answer.status_code == 201, answer.text
    after_reply = deadlines(api, cid)
    assert after_reply["next_reply_due_at"] is None
    assert after_reply["due_at"] == resolution, "the first reply is given: resolution is what is left"

    wrote = T0 + timedelta(hours=3)
    time_machine.move_to(wrote, tick=False)
    again, _ = write_in("I updated it and it still crashes on start.", subject=f"Re: {subject}",
                        sender="next@example.com", in_reply_to=answer.json()["external_id"])
    assert again == cid, "the customer's answer continues the conversation"
    assert show(api, cid)["urgency"] == "normal"
    waiting = deadlines(api, cid)
    assert waiting["next_reply_due_at"] == wrote + timedelta(seconds=rule.next_reply)
    assert waiting["due_at"] == min(waiting["next_reply_due_at"], resolution)

    time_machine.move_to(T0 + timedelta(hours=4), tick=False)
    assert httpx.post(f"{base}/api/conversations/{cid}/reply", headers=auth(),
                      json={"text": "Thanks, we are looking into it."}).status_code == 201
    cleared = deadlines(api, cid)
    assert cleared["next_reply_due_at"] is None
    assert cleared["due_at"] == resolution


def test_raised_urgency_tightens_the_deadlines_and_reroutes_to_the_new_category(
        api, broker, time_machine):
    time_machine.move_to(T0, tick=False)
    cid, first_mail = write_in("What are the fees for sending BTC?", subject="Fees",
                               sender="raise@example.com")
    before = show(api, cid)
    assert (before["category"], before["urgency"], before["pool"]) == ("policy", "normal", "general")
    old = deadlines(api, cid)

    time_machine.move_to(T0 + timedelta(hours=2), tick=False)
    subject, text = BY_URGENCY["critical"]
    again, _ = write_in(text, subject=subject, sender="raise@example.com", in_reply_to=first_mail)
    assert again == cid
    after = show(api, cid)
    assert (after["category"], after["urgency"], after["pool"]) == ("security", "critical", "security")
    rule, _ = policy("critical", "email")
    new = deadlines(api, cid)
    assert new["first_reply_due_at"] == T0 + timedelta(seconds=rule.first_reply) < old["first_reply_due_at"]
    assert new["resolution_due_at"] == T0 + timedelta(seconds=rule.resolution) < old["resolution_due_at"]
    assert new["due_at"] == min(new["first_reply_due_at"], new["resolution_due_at"])
    routed = [e["data"]["pool"] for e in after["events"] if e["kind"] == "routed"]
    assert routed == ["general", "security"]
    assert any(r["step"] == "route" and "pool security" in r["reason"] for r in after["reasons"])


def test_raised_urgency_after_a_reply_brings_the_next_reply_closer(api, broker, time_machine):
    base, auth = api
    time_machine.move_to(T0, tick=False)
    subject, text = BY_URGENCY["normal"]
    cid, _ = write_in(text, subject=subject, sender="closer@example.com")
    time_machine.move_to(T0 + timedelta(hours=1), tick=False)
    answer = httpx.post(f"{base}/api/conversations/{cid}/reply", headers=auth(),
                        json={"text": "Please update the app to the latest version."})
    assert answer.status_code == 201, answer.text
    time_machine.move_to(T0 + timedelta(hours=3), tick=False)
    write_in("I updated it and it still crashes on start.", subject=f"Re: {subject}",
             sender="closer@example.com", in_reply_to=answer.json()["external_id"])
    waiting = deadlines(api, cid)["next_reply_due_at"]

    raised = T0 + timedelta(hours=4)
    time_machine.move_to(raised, tick=False)
    write_in(BY_URGENCY["critical"][1], subject=f"Re: {subject}", sender="closer@example.com",
             in_reply_to=answer.json()["external_id"])
    assert show(api, cid)["urgency"] == "critical"
    rule, _ = policy("critical", "email")
    got = deadlines(api, cid)
    assert got["next_reply_due_at"] == raised + timedelta(seconds=rule.next_reply) < waiting
    assert got["due_at"] == got["next_reply_due_at"]


def test_a_calmer_later_message_never_loosens_the_deadlines(api, broker, time_machine):
    time_machine.move_to(T0, tick=False)
    subject, text = BY_URGENCY["critical"]
    cid, first_mail = write_in(text, subject=subject, sender="calm@example.com")
    before = show(api, cid)
    assert before["urgency"] == "critical"

    time_machine.move_to(T0 + timedelta(minutes=20), tick=False)
    calm_subject, calm_text = BY_URGENCY["low"]
    again, _ = write_in(calm_text, subject=calm_subject, sender="calm@example.com", in_reply_to=first_mail)
    assert again == cid
    after = show(api, cid)
    assert (after["category"], after["urgency"], after["pool"]) == ("security", "critical", before["pool"])
    assert after["deadlines"] == {**before["deadlines"], "seconds_left": after["deadlines"]["seconds_left"]}


def test_label_correction_moves_the_deadlines_to_the_new_sla(api, broker, time_machine):
    base, auth = api
    time_machine.move_to(T0, tick=False)
    subject, text = BY_URGENCY["normal"]
    cid, _ = write_in(text, subject=subject, sender="relabel@example.com")
    before = show(api, cid)
    assert before["urgency"] == "normal"

    time_machine.move_to(T0 + timedelta(minutes=30), tick=False)
    # A person's judgement moves the clocks in either direction: up to critical, then down to low.
    for urgency in ("critical", "low"):
        response = httpx.post(f"{base}/api/conversations/{cid}/labels", headers=auth("erin"),
                              json={"urgency": urgency})
        assert response.status_code == 200, response.text
        rule, _ = policy(urgency, "email")
        got = deadlines(api, cid)
        assert got["first_reply_due_at"] == T0 + timedelta(seconds=rule.first_reply), urgency
        assert got["resolution_due_at"] == T0 + timedelta(seconds=rule.resolution), urgency
        assert got["due_at"] == when(response.json()["due_at"]) == got["first_reply_due_at"], urgency
    after = show(api, cid)
    assert (after["category"], after["pool"]) == (before["category"], before["pool"])
    moved = [e for e in after["events"] if e["kind"] == "deadline_set" and e["actor"] == "erin"]
    assert len(moved) == 2
