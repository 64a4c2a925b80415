"""assign: give each unassigned conversation to an agent of its pool, or leave it queued.

Agents' loads are read once for the batch and written back once when it ends; the
choices are made in arrival order. A reopened conversation goes back to the agent who
resolved it when they are online, in the pool, speak the language and have capacity;
otherwise the usual choice.
"""
from __future__ import annotations

from router.desk.assign import AgentLoads, memberships
from router.queue.batch import Batch, Item


def _loads(batch: Batch) -> AgentLoads:
    # The memberships `route` read for the batch, not read again.
    members = batch.loaded("memberships", lambda: memberships(batch.session))
    loads = AgentLoads(batch.session, batch.now, members)
    batch.on_finish.append(loads.write)
    return loads


def run(batch: Batch) -> None:
    loads: AgentLoads = batch.loaded("agent_loads", lambda: _loads(batch))

    def decide(item: Item) -> None:
        if item.released_agent_id is not None:  # route took it from them: capacity back, in order
            loads.release(item.released_agent_id)
        conversation = item.conversation
        assert conversation is not None  # `thread` or `open` gave every message one
        if conversation.assignee_id is not None or conversation.state == "resolved":
            return
        previous = item.previous_assignee_id
        agent = loads.best(conversation.pool_id, conversation.language, previous)
        pool_name = batch.pool_name(conversation.pool_id)
        if agent is None:
            item.reason("assign", f"no agent of pool {pool_name} is online, speaks "
                                  f"{conversation.language} and has capacity: waiting in the pool queue")
            return
        loads.take(agent.id)
        conversation.assignee_id = agent.id
        batch.record("assigned", conversation=conversation, data={"agent": agent.name})
        if agent.id == previous:
            item.reason("assign", f"assigned to {agent.name}: had this conversation before it was resolved")
        else:
            item.reason("assign", f"assigned to {agent.name}: fewest open conversations in pool {pool_name}")

    batch.each(decide)
