"""Moving a conversation to the pool the routing table chose: the one write shared by
the pipeline's route step and an agent's correction of the category."""
from __future__ import annotations

from typing import Any

from sqlmodel import Session

from router.desk.assign import unassign
from router.storage.events import record
from router.storage.models import Conversation, Membership, Pool


def move_to_pool(session: Session, conversation: Conversation, pool: Pool, *, data: dict[str, Any],
                 actor: str = "system", message_id: int | None = None) -> bool:
    """Put the conversation in `pool`; its agent keeps it only if they belong there.
    Returns False when it was already there (nothing written)."""
    if pool.id == conversation.pool_id:
        return False
    conversation.pool_id = pool.id
    record(session, "routed", conversation_id=conversation.id, message_id=message_id, actor=actor,
           data={"pool": pool.name, **data})
    if conversation.assignee_id is not None and session.get(
            Membership, (conversation.assignee_id, pool.id)) is None:
        unassign(session, conversation, reason=f"moved to pool {pool.name}", actor=actor)
    return True
