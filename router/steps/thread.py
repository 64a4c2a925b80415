"""thread: find the customer, and the conversation this message continues.

Email threads by our own Message-IDs (References / In-Reply-To), then by a `[#123]`
token in the subject; both only when the sender is that conversation's customer, so
nobody can write into somebody else's case by quoting its subject. Channels with a
standing session (Telegram, chat) continue the customer's open conversation there.
"""
from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from channels import get_channel
from router.assign import resolved_by
from router.context import Context
from router.customers import find_or_create_customer
from router.events import record
from router.models import Conversation, Message

SUBJECT_TOKEN = re.compile(r"\[#(\d{1,12})\]")
REOPEN_WINDOW = timedelta(days=7)


def _by_references(ctx: Context) -> Conversation | None:
    refs = [r for r in [ctx.message.in_reply_to, *ctx.message.references] if r]
    if not refs:
        return None
    query = (select(Conversation).join(Message, Message.conversation_id == Conversation.id)
             .where(Message.channel == ctx.message.channel, Message.external_id.in_(refs))
             .order_by(Message.id.desc()).limit(1))
    found = ctx.session.execute(query).scalars().first()
    return _if_customers(ctx, found, "references")


def _by_subject_token(ctx: Context) -> Conversation | None:
    match = SUBJECT_TOKEN.search(ctx.message.subject or "")
    if not match:
        return None
    found = ctx.session.get(Conversation, int(match.group(1)))
    return _if_customers(ctx, found, f"subject token [#{match.group(1)}]")


def _by_session(ctx: Context) -> Conversation | None:
    if not get_channel(ctx.message.channel).THREADS_BY_CUSTOMER:
        return None
    query = (select(Conversation).where(Conversation.customer_id == ctx.customer.id,
                                        Conversation.channel == ctx.message.channel,
                                        Conversation.state != "resolved")
             .order_by(Conversation.id.desc()).limit(1))
    found = ctx.session.execute(query).scalars().first()
    if found is not None:
        ctx.reason("thread", f"continues the open {ctx.message.channel} conversation #{found.id}")
    return found


def _if_customers(ctx: Context, found: Conversation | None, how: str) -> Conversation | None:
    if found is None:
        return None
    if found.customer_id != ctx.customer.id:
        ctx.reason("thread", f"{how} names #{found.id}, but the sender is not its customer: not threaded")
        return None
    ctx.reason("thread", f"threaded into #{found.id} by {how}")
    return found


def _reopen_or_leave(ctx: Context, conversation: Conversation) -> Conversation | None:
    if conversation.state != "resolved":
        return conversation
    if conversation.resolved_at and ctx.now - conversation.resolved_at > REOPEN_WINDOW:
        ctx.reason("thread", f"#{conversation.id} was resolved over {REOPEN_WINDOW.days} days ago: a new case")
        return None
    conversation.state = "open"
    conversation.resolved_at = None
    # The agent who answered knows the case: the assign step offers it to them first.
    ctx.previous_assignee_id = resolved_by(ctx.session, conversation.id)
    record(ctx.session, "reopened", conversation_id=conversation.id, message_id=ctx.message.id,
           data={"previous_assignee_id": ctx.previous_assignee_id})
    ctx.reason("thread", f"#{conversation.id} reopened by a new message")
    return conversation


def run(ctx: Context) -> None:
    message = ctx.message
    ctx.customer = find_or_create_customer(ctx.session, message.channel, message.sender,
                                           message.sender_name)
    conversation = _by_references(ctx) or _by_subject_token(ctx) or _by_session(ctx)
    if conversation is not None:
        conversation = _reopen_or_leave(ctx, conversation)
    if conversation is None:
        return
    ctx.conversation = conversation
    message.conversation_id = conversation.id
    conversation.last_inbound_at = ctx.now
    record(ctx.session, "received", conversation_id=conversation.id, message_id=message.id,
           data={"channel": message.channel})
