"""route: category (and language) to pool, by the desk's routing table; first match wins.

A new conversation triage is unsure of (`Item.park`, set by classify) opens in the
triage pool instead, when the desk has one, for a lead to label; the label
correction routes it on (router/desk/corrections.py).

A conversation moved to a pool its agent does not belong to is taken from them; the
assign step gives their capacity back in arrival order."""
from __future__ import annotations

import logging

from router.classify import get_rules
from router.desk.assign import memberships
from router.logs import log_extra
from router.queue.batch import Batch, Item

log = logging.getLogger(__name__)


def _triage_pool() -> str:
    return get_rules().config.triage_pool


def run(batch: Batch) -> None:
    members = set(batch.loaded("memberships", lambda: memberships(batch.session)))

    def decide(item: Item) -> None:
        conversation = item.conversation
        assert conversation is not None  # `thread` or `open` gave every message one
        if not (item.is_new_conversation or item.reroute or conversation.pool_id is None):
            log.info("message %s routed with conversation %s, in pool %s", item.message.id,
                     conversation.id, batch.pool_name(conversation.pool_id),
                     extra=log_extra(item.message.id, conversation.id))
            return
        pool_name, index = batch.desk.route(conversation.category, conversation.language)
        rule: int | str = index
        if item.park and item.is_new_conversation and not item.reroute and _triage_pool() in batch.pools:
            item.reason("route", f"{item.park} (routing[{index}] would say pool {pool_name})")
            pool_name, rule = _triage_pool(), "triage"
        pool = batch.pools[pool_name]
        log.info("message %s routed to pool %s by routing[%s] (conversation %s, %s %s)", item.message.id,
                 pool_name, rule, conversation.id, conversation.urgency, conversation.category,
                 extra=log_extra(item.message.id, conversation.id))
        if pool.id == conversation.pool_id:
            return
        conversation.pool_id = pool.id
        batch.record("routed", conversation=conversation, message=item.message,
                     data={"pool": pool.name, "rule": rule})
        if rule != "triage":
            item.reason("route", f"routing[{index}]: category {conversation.category}, "
                                 f"language {conversation.language} -> pool {pool_name}")
        agent_id = conversation.assignee_id
        if agent_id is not None and (agent_id, pool.id) not in members:
            item.released_agent_id, conversation.assignee_id = agent_id, None
            batch.record("unassigned", conversation=conversation,
                         data={"agent_id": agent_id, "reason": f"moved to pool {pool.name}"})

    batch.each(decide)
