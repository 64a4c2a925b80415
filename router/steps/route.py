"""route: category (and language) to pool, by the desk's routing table; first match wins."""
from __future__ import annotations

import logging

from router.context import Context
from router.routing import move_to_pool

log = logging.getLogger(__name__)


def run(ctx: Context) -> None:
    conversation = ctx.conversation
    if not (ctx.is_new_conversation or ctx.reroute or conversation.pool_id is None):
        pool_name = next((n for n, p in ctx.pools.items() if p.id == conversation.pool_id), "?")
        log.info("message %s routed with conversation %s, in pool %s", ctx.message.id,
                 conversation.id, pool_name)
        return
    pool_name, index = ctx.desk.route(conversation.category, conversation.language)
    if move_to_pool(ctx.session, conversation, ctx.pools[pool_name], data={"rule": index},
                    message_id=ctx.message.id):
        ctx.reason("route", f"routing[{index}]: category {conversation.category}, "
                            f"language {conversation.language} -> pool {pool_name}")
    log.info("message %s routed to pool %s by routing[%s] (conversation %s, %s %s)", ctx.message.id,
             pool_name, index, conversation.id, conversation.urgency, conversation.category)
