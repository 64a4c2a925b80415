"""The desk configuration is validated at start-up, and errors name the key."""
from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from config.desk import DeskConfigError, load_desk, parse_duration
from config.settings import DEFAULT_DESK


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "desk.toml"
    path.write_text(text, encoding="utf-8")
    return path


def _shipped() -> str:
    return DEFAULT_DESK.read_text(encoding="utf-8")


def test_shipped_desk_is_valid():
    desk = load_desk(DEFAULT_DESK)
    assert desk.route("security", "zh") == ("security", 0)
    rule, _ = desk.sla_for("normal", "email")
    assert rule.first_reply == 24 * 3600
    assert desk.sla_for("critical", "email")[0].first_reply == 3600


@pytest.mark.parametrize(("change", "key"), [
    (('pool = "transactions"', 'pool = "billing"'), "routing[1].pool: unknown pool 'billing'"),
    (('category = "technical"', 'category = "techincal"'), "routing[3].category: unknown category"),
    (('first_reply = "24h"', 'first_reply = "soon"'), "sla[2].first_reply"),
    (('escalation = "supervisors"', 'escalation = "bosses"'), "pools.security.escalation: unknown pool 'bosses'"),
    (('capacity = 20', 'capacity = -1'), "agents[0].capacity"),
    (('languages = ["zh", "en"]', 'languages = ["fr"]'), "agents[0].languages: unknown language 'fr'"),
    # The sender's name is offered to no template: a stranger's text would go out under ours.
    (('body = """Hello,', 'body = """Hello{customer_name_suffix},'),
     "acknowledgement.templates.en.body: unknown placeholder {customer_name_suffix}"),
    (('same_sender_window = "1h"', 'same_sender_window = "never"'), "threading.same_sender_window"),
    (('unreadable = "drop"', 'unreadable = "store"'),
     "attachments.unreadable: Input should be 'drop', 'keep_images' or 'keep'"),
    (('role = "supervisor"', 'role = "boss"'), "agents[4].role: Input should be 'agent', 'supervisor' or 'admin'"),
])
def test_errors_name_the_key(tmp_path, change, key):
    path = _write(tmp_path, _shipped().replace(*change, 1))
    with pytest.raises(DeskConfigError) as error:
        load_desk(path)
    assert key in str(error.value)


def test_unknown_key_is_refused(tmp_path):
    path = _write(tmp_path, _shipped().replace("[desk]\n", "[desk]\ncolour = \"blue\"\n", 1))
    with pytest.raises(DeskConfigError, match=r"desk\.colour: Extra inputs are not permitted"):
        load_desk(path)


def test_catch_all_routing_rule_is_required(tmp_path):
    data = _shipped().replace('category = "*"\npool = "general"', 'category = "general"\npool = "general"')
    with pytest.raises(DeskConfigError, match="routing: needs a final catch-all"):
        load_desk(_write(tmp_path, data))


def test_bad_toml_names_the_file(tmp_path):
    with pytest.raises(DeskConfigError, match=r"desk\.toml: not valid TOML"):
        load_desk(_write(tmp_path, "[desk\nname = 1"))


def test_durations():
    assert parse_duration("90s") == 90 and parse_duration("10m") == 600
    assert parse_duration("4h") == 14400 and parse_duration("2d") == 172800 and parse_duration(30) == 30
    for bad in ("", "ten minutes", "-5m", 0):
        with pytest.raises(ValueError, match="duration"):
            parse_duration(bad)


def test_cli_refuses_to_start_with_a_broken_desk(tmp_path):
    path = _write(tmp_path, _shipped().replace('pool = "transactions"', 'pool = "billing"', 1))
    out = subprocess.run([sys.executable, "-m", "router.cli", "db", "upgrade"], capture_output=True, text=True,
                         env={"MSGROUTER_DESK_CONFIG": str(path), "PATH": "/usr/bin:/bin",
                              "MSGROUTER_DATABASE_URL": f"sqlite:///{tmp_path}/x.db"}, timeout=60)
    assert out.returncode == 2
    assert "routing[1].pool: unknown pool 'billing'" in out.stderr
    assert tomllib.loads(_shipped())  # the shipped file itself still parses


@pytest.mark.parametrize(("change", "key", "words"), [
    (('calendar = "office"', 'calendar = "offices"', 1), "pools.transactions.calendar", "unknown calendar"),
    (('timezone = "Asia/Shanghai"', 'timezone = "Asia/Shanghay"', 1), "calendars.office.timezone",
     "unknown timezone"),
    (('mon = ["09:00-12:00", "13:00-18:00"]', 'mon = ["09:00-12:00", "11:00-18:00"]', 1),
     "calendars.office.week", "overlap"),
    (('tue = ["09:00-12:00", "13:00-18:00"]', 'tue = ["09:00-25:00"]', 1), "calendars.office.week.tue[0]",
     "not a time of day"),
    (('holidays = { country = "CN" }', 'holidays = { country = "XX" }', 1), "calendars.office.holidays",
     "knows no country"),
    (('urgency = "critical"\nfirst_reply = "1h"', 'urgency = "critical"\npool = "billing"\nfirst_reply = "1h"', 1),
     "sla[0].pool", "unknown pool"),
    (('first_reply = "1h"', 'first_reply = "1h"\nclock = "office"', 1), "sla[0].clock", "calendar"),
    (('first_reply = "1h"', 'first_reply = "1h"\nwarn_at = 1.5', 1), "sla[0].warn_at", "less than 1"),
])
def test_sla_and_calendar_mistakes_name_their_key(tmp_path, change, key, words):
    old, new, count = change
    assert old in _shipped(), old
    with pytest.raises(DeskConfigError) as caught:
        load_desk(_write(tmp_path, _shipped().replace(old, new, count)))
    message = str(caught.value)
    assert f"desk.toml: {key}" in message and words in message, message
