"""The command line as a new user meets it: --version, help without type placeholders,
`worker --help` saying what goes to Celery, `msgrouter token` printing only the token and
managing named tokens (issue 22)."""
from __future__ import annotations

import re
from importlib.metadata import version

import httpx
import pytest
from typer.testing import CliRunner

from cli_process import msgrouter
from router.cli import app

TOKEN_LINE = re.compile(r"mr_[A-Za-z0-9_-]{43}\n")
COMMANDS = ["run", "web", "smtp", "sink", "worker", "beat", "token", "passwd", "replay", "classify", "train",
            "db", "db upgrade"]


def test_version_is_the_package_version(tmp_path):
    result = msgrouter("--version", cwd=tmp_path)
    assert result.returncode == 0
    assert result.stdout == f"msgrouter {version('msgrouter')}\n"


@pytest.mark.parametrize("command", ["", *COMMANDS])
def test_help_shows_no_bool_placeholder_beside_flags(command):
    result = CliRunner().invoke(app, [*command.split(), "--help"])
    assert result.exit_code == 0, result.output
    assert re.search(r"^\s+--help\s+Show this message and exit\.$", result.output, re.M), result.output
    assert "<bool>" not in result.output


def test_worker_help_says_what_goes_to_celery():
    help_text = " ".join(CliRunner().invoke(app, ["worker", "--help"]).output.split())
    assert "goes unchanged to `celery worker`" in help_text
    assert "--loglevel defaults to MSGROUTER_LOG_LEVEL" in help_text


def test_token_prints_exactly_the_token_and_no_library_lines(tmp_path):
    result = msgrouter("token", "alice", cwd=tmp_path)  # a fresh SQLite database under ./var
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "var" / "msgrouter.db").exists(), "the database was created and migrated"
    assert TOKEN_LINE.fullmatch(result.stdout), result.stdout
    assert "alembic" not in result.stderr
    assert result.stderr == "", "nothing happened that an operator needs to read"


def test_token_commands_issue_list_and_revoke_named_tokens(api, db_url, tmp_path):
    base, _ = api
    first = msgrouter("token", "carol", cwd=tmp_path, MSGROUTER_DATABASE_URL=db_url).stdout.strip()
    laptop = msgrouter("token", "carol", "--name", "laptop", cwd=tmp_path,
                       MSGROUTER_DATABASE_URL=db_url).stdout.strip()
    for token in (first, laptop):
        me = httpx.get(f"{base}/api/me", headers={"Authorization": f"Bearer {token}"})
        assert me.json()["name"] == "carol", "the second token did not log the first out"

    listed = msgrouter("token", "carol", "--list", cwd=tmp_path, MSGROUTER_DATABASE_URL=db_url)
    assert [line.split("\t")[0] for line in listed.stdout.splitlines()] == ["token-1", "laptop"]
    assert re.fullmatch(r"(\S+\t\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC\n)+", listed.stdout), listed.stdout
    assert first not in listed.stdout and laptop not in listed.stdout

    revoked = msgrouter("token", "carol", "--revoke", "laptop", cwd=tmp_path, MSGROUTER_DATABASE_URL=db_url)
    assert revoked.returncode == 0, revoked.stderr
    assert httpx.get(f"{base}/api/me", headers={"Authorization": f"Bearer {laptop}"}).status_code == 401
    assert httpx.get(f"{base}/api/me", headers={"Authorization": f"Bearer {first}"}).status_code == 200
