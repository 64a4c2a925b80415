"""`msgrouter token`: issue, list and revoke an agent's named API tokens."""
from __future__ import annotations

import typer

from router.commands.errors import OperatorError

# The audit log's actor for tokens issued or revoked at the shell: whoever can run the
# command can already read the database, so there is no agent to name.
CLI_ACTOR = "cli"


def token(agent: str = typer.Argument(..., metavar="AGENT", help="the agent's name in desk.toml"),
          name: str | None = typer.Option(None, "--name", "-n", metavar="TOKEN_NAME",
                                          help="name the new token (e.g. laptop); default: token-N"),
          list_: bool = typer.Option(False, "--list", "-l",
                                     help="list the agent's tokens by name and creation time"),
          revoke: str | None = typer.Option(None, "--revoke", metavar="TOKEN_NAME",
                                            help="revoke the agent's token of this name")) -> None:
    """Issue a new API token for an agent (printed once); the agent's other tokens keep working."""
    from router.commands.prepare import prepare
    from router.desk.tokens import TokenError, issue_token, list_tokens, revoke_token
    from router.storage.db import session_scope

    if sum((name is not None, list_, revoke is not None)) > 1:
        raise OperatorError("give one of --name, --list and --revoke")
    prepare()
    try:
        with session_scope() as session:
            if list_:
                for info in list_tokens(session, agent):
                    typer.echo(f"{info.name}\t{info.created_at:%Y-%m-%d %H:%M:%S} UTC")
            elif revoke is not None:
                revoke_token(session, agent, revoke, actor=CLI_ACTOR)
                typer.echo(f"revoked {agent}'s token {revoke!r}; the agent's other tokens keep working")
            else:
                typer.echo(issue_token(session, agent, name, actor=CLI_ACTOR))
    except TokenError as exc:
        raise OperatorError(str(exc)) from None
