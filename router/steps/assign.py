"""assign: give an unassigned conversation to an agent of its pool, or leave it queued."""
from __future__ import annotations

from router.assign import try_assign
from router.context import Context


def run(ctx: Context) -> None:
    conversation = ctx.conversation
    if conversation.assignee_id is not None or conversation.state == "resolved":
        return
    agent = try_assign(ctx.session, conversation, ctx.now)
    pool_name = next((n for n, p in ctx.pools.items() if p.id == conversation.pool_id), "?")
    if agent is None:
        ctx.reason("assign", f"no agent of pool {pool_name} is online, speaks "
                             f"{conversation.language} and has capacity: waiting in the pool queue")
    else:
        ctx.reason("assign", f"assigned to {agent.name}: fewest open conversations in pool {pool_name}")
