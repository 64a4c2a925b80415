"""assign: give an unassigned conversation to an agent of its pool, or leave it queued.

A reopened conversation goes back to the agent who resolved it when they are online,
in the pool, speak the language and have capacity; otherwise the usual choice.
"""
from __future__ import annotations

from router.assign import try_assign
from router.context import Context


def run(ctx: Context) -> None:
    conversation = ctx.conversation
    if conversation.assignee_id is not None or conversation.state == "resolved":
        return
    previous = ctx.previous_assignee_id
    agent = try_assign(ctx.session, conversation, ctx.now, prefer=previous)
    pool_name = next((n for n, p in ctx.pools.items() if p.id == conversation.pool_id), "?")
    if agent is None:
        ctx.reason("assign", f"no agent of pool {pool_name} is online, speaks "
                             f"{conversation.language} and has capacity: waiting in the pool queue")
    elif agent.id == previous:
        ctx.reason("assign", f"assigned to {agent.name}: had this conversation before it was resolved")
    else:
        ctx.reason("assign", f"assigned to {agent.name}: fewest open conversations in pool {pool_name}")
