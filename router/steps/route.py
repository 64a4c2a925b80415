"""route: category (and language) to pool, by the desk's routing table; first match wins."""
from __future__ import annotations

from router.assign import unassign
from router.context import Context
from router.events import record
from router.models import Membership


def run(ctx: Context) -> None:
    conversation = ctx.conversation
    if not (ctx.is_new_conversation or ctx.reroute or conversation.pool_id is None):
        return
    pool_name, index = ctx.desk.route(conversation.category, conversation.language)
    pool = ctx.pools[pool_name]
    if pool.id == conversation.pool_id:
        return
    ctx.reason("route", f"routing[{index}]: category {conversation.category}, "
                        f"language {conversation.language} -> pool {pool_name}")
    conversation.pool_id = pool.id
    record(ctx.session, "routed", conversation_id=conversation.id, message_id=ctx.message.id,
           data={"pool": pool_name, "rule": index})
    if conversation.assignee_id is not None and ctx.session.get(
            Membership, (conversation.assignee_id, pool.id)) is None:
        unassign(ctx.session, conversation, reason=f"moved to pool {pool_name}")
