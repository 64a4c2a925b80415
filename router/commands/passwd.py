"""`msgrouter passwd NAME`: set an agent's dashboard password. From a terminal it prompts
twice without echo; otherwise it reads the password twice, one line each, from stdin."""
from __future__ import annotations

import sys

import typer

from router.commands.errors import OperatorError

CLI_ACTOR = "cli"  # as for tokens: whoever runs the command can already read the database


def _read_twice() -> tuple[str, str]:
    if sys.stdin.isatty():
        first = typer.prompt("New password", hide_input=True)
        return first, typer.prompt("Repeat it", hide_input=True)
    lines = sys.stdin.read().splitlines()
    if len(lines) < 2:
        raise OperatorError("give the new password twice, one line each, on standard input")
    return lines[0], lines[1]


def passwd(agent: str = typer.Argument(..., metavar="NAME", help="the agent's name in desk.toml")) -> None:
    """Set an agent's password for the dashboard (API tokens are unaffected)."""
    from router.commands.prepare import prepare
    from router.desk.passwords import PasswordError, set_password
    from router.storage.db import session_scope

    first, second = _read_twice()
    if first != second:
        raise OperatorError("the two passwords differ; nothing was changed")
    prepare()
    try:
        with session_scope() as session:
            set_password(session, agent, first, actor=CLI_ACTOR)
    except PasswordError as exc:
        raise OperatorError(str(exc)) from None
    typer.echo(f"password set for {agent}; sessions signed in with the old one have ended")
