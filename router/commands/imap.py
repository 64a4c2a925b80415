"""`msgrouter imap`: read a desk's existing mailbox into msgrouter, every
MSGROUTER_IMAP_POLL_SECONDS, until Ctrl-C or SIGTERM (or once, with --once)."""
from __future__ import annotations

import signal
import threading

import typer

from router.commands.errors import OperatorError


def imap(once: bool = typer.Option(False, "--once", help="look at the mailbox once, print what was taken, "
                                                          "and exit")) -> None:
    """Poll the IMAP mailbox MSGROUTER_IMAP_HOST/_USER/_MAILBOX; each new mail goes through the
    same intake as SMTP mail, and is flagged (MSGROUTER_IMAP_MARK) or moved (MSGROUTER_IMAP_MOVE_TO)
    once stored."""
    from channels.email.imap import poll_forever, poll_once
    from config.settings import get_settings
    from router.commands.prepare import prepare

    settings = get_settings()
    if not settings.imap_on:
        raise OperatorError("IMAP is off: set MSGROUTER_IMAP_HOST (and _USER, _PASSWORD) to read a mailbox")
    prepare(upgrade=False)
    where = f"{settings.imap_account}/{settings.imap_mailbox}"
    if once:
        from imapclient import IMAPClient

        try:
            result = poll_once(settings)
        except OSError as exc:
            raise OperatorError(f"IMAP {where}: cannot connect ({exc}); check MSGROUTER_IMAP_HOST, "
                                "MSGROUTER_IMAP_PORT and MSGROUTER_IMAP_TLS") from None
        except IMAPClient.Error as exc:  # a refused login, a mailbox that does not exist
            raise OperatorError(f"IMAP {where}: the server said {exc}; check MSGROUTER_IMAP_USER, "
                                "MSGROUTER_IMAP_PASSWORD and MSGROUTER_IMAP_MAILBOX") from None
        typer.echo(f"IMAP {where}: {result.imported} imported, {result.known} known already, "
                   f"{result.too_large} too large")
        return
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    typer.echo(f"IMAP polling {where} every {settings.imap_poll_seconds:g} s; Ctrl-C stops", err=True)
    # A signal only sets `stop`: a mail being stored is committed and marked before the loop ends.
    poll_forever(stop, settings)
    typer.echo("IMAP polling stopped", err=True)
