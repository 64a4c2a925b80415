"""`msgrouter replay`: a failed inbound message through the pipeline again, or a parked or
failed outbound message back in the delivery queue."""
from __future__ import annotations

from typing import cast

import typer
from sqlmodel import col

from router.commands.prepare import prepare


def replay(message_id: int | None = typer.Argument(None, help="a failed inbound message's id"),
           outbound: int | None = typer.Option(None, "--outbound", metavar="ID",
                                                help="a parked or failed outbound message's id: "
                                                     "queued for delivery again")) -> None:
    """Run the pipeline again on a failed message, or (--outbound ID) queue a parked or
    failed outbound message for delivery again."""
    if (message_id is None) == (outbound is None):
        typer.echo("msgrouter: give a failed inbound message's ID, or --outbound ID", err=True)
        raise typer.Exit(2)
    prepare(upgrade=False)
    if outbound is not None:
        _replay_outbound(outbound)
    else:
        assert message_id is not None
        _replay_inbound(message_id)


def _replay_inbound(message_id: int) -> None:
    from sqlalchemy import CursorResult, update

    from router.queue.pipeline import process_batch
    from router.storage.db import session_scope
    from router.storage.models import Message

    with session_scope() as session:
        changed = cast(CursorResult, session.execute(update(Message).where(
            col(Message.id) == message_id, col(Message.direction) == "in", col(Message.status) == "failed")
            .values(status="processing", error=None, failed_step=None))).rowcount
    if not changed:
        typer.echo(f"msgrouter: message {message_id} is not a failed inbound message", err=True)
        raise typer.Exit(1)
    result = process_batch([message_id])
    typer.echo(f"message {message_id}: {'done' if result.done else 'failed again'}")
    if result.outbound:
        from router.queue.doorbell import get_doorbell

        get_doorbell().ring("outbound")


def _replay_outbound(message_id: int) -> None:
    from router.clock import utcnow
    from router.delivery.replay import NotReplayable, replay_outbound
    from router.queue.doorbell import get_doorbell
    from router.storage.db import session_scope

    try:
        with session_scope() as session:
            message = replay_outbound(session, message_id, utcnow())
    except NotReplayable as exc:
        typer.echo(f"msgrouter: {exc}", err=True)
        raise typer.Exit(1) from None
    get_doorbell().ring("outbound")
    typer.echo(f"outbound message {message_id} to {message.recipient}: queued for delivery again")
