"""route: category (and language) to pool, by the desk's routing table; first match wins."""
from __future__ import annotations

from router.context import Context
from router.routing import move_to_pool


def run(ctx: Context) -> None:
    conversation = ctx.conversation
    if not (ctx.is_new_conversation or ctx.reroute or conversation.pool_id is None):
        return
    pool_name, index = ctx.desk.route(conversation.category, conversation.language)
    if move_to_pool(ctx.session, conversation, ctx.pools[pool_name], data={"rule": index},
                    message_id=ctx.message.id):
        ctx.reason("route", f"routing[{index}]: category {conversation.category}, "
                            f"language {conversation.language} -> pool {pool_name}")
