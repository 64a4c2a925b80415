"""Operator errors on the command line: something to fix in a setting, a port or a file is
printed as one line that names it, with exit code 2; anything else is a bug and keeps its
traceback. `CommandGroup` is the one place that catches them, for every command."""
from __future__ import annotations

import errno
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import typer
from pydantic import ValidationError
from typer.core import TyperGroup

if TYPE_CHECKING:
    from typer._click import Context  # what TyperGroup.invoke takes: typer ships its own click

EXIT_OPERATOR_ERROR = 2


class OperatorError(Exception):
    """Something the operator must fix; the message names the setting, port or file."""


def settings_error_line(exc: ValidationError) -> str:
    """A Settings validation error as one line naming each environment variable."""
    parts = []
    for item in exc.errors():
        message = item["msg"].removeprefix("Value error, ")
        # Each field is read from MSGROUTER_<FIELD>; a check over several fields has no loc.
        variable = f"MSGROUTER_{str(item['loc'][0]).upper()}" if item["loc"] else ""
        parts.append(message if not variable or variable in message else f"{variable}: {message}")
    return "invalid settings: " + "; ".join(parts)


def one_line(exc: BaseException) -> str | None:
    """The operator's line for an operator error; None for anything else (a bug)."""
    if isinstance(exc, OperatorError):
        return str(exc)
    # Only the process settings are validated from the operator's input at start-up; any
    # other model failing validation is our bug.
    if isinstance(exc, ValidationError) and exc.title == "Settings":
        return settings_error_line(exc)
    return None


class CommandGroup(TyperGroup):
    """The command group of `msgrouter`: turns operator errors into one line and exit 2."""

    def invoke(self, ctx: Context) -> Any:
        try:
            return super().invoke(ctx)
        except Exception as exc:
            line = one_line(exc)
            if line is None:
                raise
            typer.echo(f"msgrouter: {' '.join(line.split())}", err=True)
            raise typer.Exit(EXIT_OPERATOR_ERROR) from None


@contextmanager
def listening(what: str, host: str, port: int, setting: str) -> Iterator[None]:
    """Starting a server: a port in use (or refused) becomes an OperatorError naming it."""
    try:
        yield
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            reason = (f"port {port} on {host} is already in use ({setting}): "
                      "stop the program using it or choose another port")
        elif exc.errno == errno.EACCES:
            reason = f"not allowed to listen on port {port} of {host} ({setting}): choose a port above 1023"
        else:
            reason = f"cannot listen on {host}:{port} ({setting}): {exc.strerror or exc}"
        raise OperatorError(f"{what}: {reason}") from None


def bind_socket(what: str, host: str, port: int, setting: str) -> socket.socket:
    """A TCP socket bound to host:port for a server to listen on (uvicorn takes it)."""
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        with listening(what, host, port, setting):
            sock.bind((host, port))
    except OperatorError:
        sock.close()
        raise
    return sock
