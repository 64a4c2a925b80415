"""The demo desk's people by role, and security cases written in through intake and the
pipeline, for the tests of roles, pool scope and audit."""
from __future__ import annotations

import uuid

from sqlalchemy import select

from channels.base import Inbound
from router.queue.drain import drain_inbound
from router.queue.intake import accept
from router.storage.db import session_scope
from router.storage.models import Conversation, Message, Pool

# Who plays each part in config/desk.toml: alice and dan are in the security pool, carol
# is not (accounts, tech, general, complaints), erin supervises, frank administers.
MEMBER, OUTSIDER, SUPERVISOR, ADMIN = "alice", "carol", "erin", "frank"
CALLERS: dict[str, str | None] = {"member": MEMBER, "outsider": OUTSIDER, "supervisor": SUPERVISOR,
                                  "admin": ADMIN, "anonymous": None}

STOLEN = "My wallet was emptied, all my ETH is gone and I made no transfer!"


def security_cases(count: int) -> list[int]:
    """`count` new critical conversations in the security pool, each from its own customer
    (so no acknowledgement cap or threading joins them), run through the pipeline at once."""
    ids = []
    for _ in range(count):
        sender = f"victim-{uuid.uuid4().hex[:10]}@example.com"
        ids.append(accept(Inbound(channel="email", external_id=f"<{uuid.uuid4().hex}@example.com>",
                                  sender=sender, subject="Stolen funds", text=STOLEN)).message_id)
    drain_inbound()
    with session_scope() as session:
        rows = session.execute(select(Message.conversation_id, Pool.name)
                               .join(Conversation, Conversation.id == Message.conversation_id)
                               .join(Pool, Pool.id == Conversation.pool_id)
                               .where(Message.id.in_(ids)).order_by(Message.id)).all()
    assert [pool for _, pool in rows] == ["security"] * count, rows
    return [cid for cid, _ in rows]
