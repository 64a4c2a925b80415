"""Operator errors from the real command: one line on stderr naming the setting, port or
file to fix, exit code 2, no traceback (issue 22)."""
from __future__ import annotations

import socket

import pytest

from cli_process import msgrouter
from config.settings import DEFAULT_DESK
from support import free_port


def _one_line(result) -> str:
    assert result.returncode == 2, (result.returncode, result.stderr[-3000:])
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr[-3000:]
    assert result.stdout == ""
    return lines[0]


@pytest.fixture
def busy_port():
    """A port some other program is listening on."""
    with socket.socket() as other:
        other.bind(("127.0.0.1", 0))
        other.listen()
        yield other.getsockname()[1]


@pytest.mark.parametrize(("command", "setting"), [
    (["smtp"], "MSGROUTER_SMTP_PORT"),
    (["web"], "MSGROUTER_WEB_PORT"),
    (["run"], "MSGROUTER_SMTP_PORT"),
    (["run"], "MSGROUTER_WEB_PORT"),
])
def test_a_port_in_use_is_one_line_naming_the_setting(tmp_path, busy_port, command, setting):
    ports = {"MSGROUTER_SMTP_PORT": str(free_port()), "MSGROUTER_WEB_PORT": str(free_port()),
             setting: str(busy_port)}
    line = _one_line(msgrouter(*command, cwd=tmp_path, **ports))
    assert setting in line and f"port {busy_port}" in line and "in use" in line


def test_the_sink_on_a_port_in_use_names_its_option(tmp_path, busy_port):
    line = _one_line(msgrouter("sink", "--port", str(busy_port), cwd=tmp_path))
    assert "--port" in line and f"port {busy_port}" in line


def test_production_without_a_secret_key_is_one_line_naming_it(tmp_path):
    line = _one_line(msgrouter("web", cwd=tmp_path, MSGROUTER_ENVIRONMENT="production",
                               MSGROUTER_RELAY_HOST="relay.example.com",
                               MSGROUTER_WEB_PORT=str(free_port())))
    assert "MSGROUTER_SECRET_KEY" in line and "production" in line


def test_an_invalid_desk_file_is_one_line_naming_the_file_and_the_key(tmp_path):
    desk = tmp_path / "desk.toml"
    good = DEFAULT_DESK.read_text(encoding="utf-8")
    desk.write_text(good.replace('pool = "security"', 'pool = "billing"', 1), encoding="utf-8")
    assert desk.read_text(encoding="utf-8") != good, "the demo desk routes to the security pool"
    line = _one_line(msgrouter("smtp", cwd=tmp_path, MSGROUTER_DESK_CONFIG=str(desk),
                               MSGROUTER_SMTP_PORT=str(free_port())))
    assert f"MSGROUTER_DESK_CONFIG={desk}" in line and "routing[" in line and "billing" in line


@pytest.mark.parametrize("kind", ["directory", "not utf-8"])
def test_an_unreadable_desk_file_is_one_line_naming_it(tmp_path, kind):
    desk = tmp_path / "desk.toml"
    if kind == "directory":
        desk.mkdir()
    else:
        desk.write_bytes(b'[desk]\nname = "\xff\xfe"\n')
    line = _one_line(msgrouter("web", cwd=tmp_path, MSGROUTER_DESK_CONFIG=str(desk),
                               MSGROUTER_WEB_PORT=str(free_port())))
    assert f"MSGROUTER_DESK_CONFIG={desk}" in line and "cannot read" in line


def test_an_unknown_agent_is_one_line_listing_the_known_ones(tmp_path):
    line = _one_line(msgrouter("token", "zed", cwd=tmp_path))
    assert "'zed'" in line
    assert "alice, bob, carol, dan" in line, "the demo desk's agents, in order"


def test_a_database_out_of_reach_is_one_line_naming_it_without_the_password(tmp_path):
    port = free_port()  # nothing listens there
    line = _one_line(msgrouter("db", "upgrade", cwd=tmp_path,
                               MSGROUTER_DATABASE_URL=f"postgresql://msgrouter:hunter2@127.0.0.1:{port}/x"))
    assert f"MSGROUTER_DATABASE_URL=postgresql://msgrouter:***@127.0.0.1:{port}/x" in line
    assert "refused" in line and "hunter2" not in line
