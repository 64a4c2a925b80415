"""Agent API for outbound mail by delivery status: above all the parked mail, whose retries
ran out while the channel was down, waiting for `msgrouter replay --outbound ID`."""
from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from router.clock import iso
from router.delivery.replay import outbound_with_status
from router.storage.db import read_scope
from router.storage.models import Message
from router.web.access import Caller, supervisor
from router.web.errors import refusals
from router.web.models_out import Timestamp
from router.web.params import Limit, Offset

router = APIRouter(prefix="/api", tags=["outbound"])

Status = Literal["parked", "held", "failed", "queued", "sending", "sent"]


class OutboundRow(BaseModel):
    id: int
    conversation_id: int | None
    channel: str
    status: str
    recipient: str
    subject: str
    automatic: bool
    external_id: str
    attempts: int
    error: str | None
    created_at: Timestamp
    retry_until: Timestamp | None
    next_attempt_at: Timestamp | None
    replay: str | None = Field(description="the command that sends a parked or failed message again")


def _row(m: Message) -> OutboundRow:
    assert m.id is not None
    return OutboundRow(id=m.id, conversation_id=m.conversation_id, channel=m.channel, status=m.status,
                       recipient=m.recipient, subject=m.subject, automatic=m.automatic,
                       external_id=m.external_id, attempts=m.attempts, error=m.error,
                       created_at=iso(m.created_at) or "", retry_until=iso(m.retry_until),
                       # A queued row's claimed_at is the time of its next attempt.
                       next_attempt_at=iso(m.claimed_at) if m.status == "queued" else None,
                       replay=f"msgrouter replay --outbound {m.id}" if m.status in ("parked", "failed") else None)


@router.get("/outbound", responses=refusals(403, 422))
def outbound(status: Status = Query("parked", description="delivery status; parked: retries ran out"),
             limit: Limit = 50, offset: Offset = 0, who: Caller = Depends(supervisor)) -> list[OutboundRow]:
    """Every pool's outbound mail: delivery is the desk's operation, so supervisors and
    admins (who also run `msgrouter replay --outbound`), not each pool's agents."""
    with read_scope() as session:
        return [_row(m) for m in outbound_with_status(session, status, limit, offset)]
