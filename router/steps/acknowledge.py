"""acknowledge: an automatic first answer in the customer's language, with the expected
reply time and the warning that staff never ask for a mnemonic or private key.

Never to machine-written mail (that is how mail loops start), never twice for one
conversation, at most a few per customer per window, never to an address known to
be undeliverable. When the message held a secret, the answer tells the customer to
move their funds.
"""
from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import func, select

from router.context import Context
from router.events import record
from router.models import Conversation, Identity, Message
from router.outbox import queue_outbound

log = logging.getLogger(__name__)


def _skip_reason(ctx: Context) -> str | None:
    message, customer = ctx.message, ctx.customer
    if message.auto_submitted:
        return "automatic mail (auto-reply, bounce or list): not answered automatically"
    if not ctx.is_new_conversation and not message.secret_kinds:
        return "conversation already acknowledged"
    undeliverable = ctx.session.execute(select(Identity.undeliverable).where(
        Identity.customer_id == customer.id, Identity.channel == message.channel,
        Identity.undeliverable.is_(True))).first()
    if undeliverable:
        return "address is known to be undeliverable"
    limit = ctx.desk.acknowledgement
    recent = ctx.session.execute(
        select(func.count()).select_from(Message)
        .join(Conversation, Conversation.id == Message.conversation_id)
        .where(Conversation.customer_id == customer.id, Message.direction == "out",
               Message.automatic.is_(True),
               Message.created_at >= ctx.now - timedelta(seconds=limit.window))).scalar()
    if recent >= limit.max_per_customer:
        return f"already {recent} automatic answers to this customer within the window"
    return None


def _render(ctx: Context) -> tuple[str, str]:
    conversation, desk = ctx.conversation, ctx.desk
    templates = desk.acknowledgement.templates
    template = templates.get(conversation.language) or templates[desk.desk.default_language]
    name = (ctx.customer.display_name or "").strip()
    due = conversation.first_reply_due_at
    values = {
        "conversation_id": conversation.id, "desk_name": desk.desk.name,
        "customer_name_suffix": f" {name}" if name else "",
        "due_human": f"{due:%Y-%m-%d %H:%M}" if due else "-",
    }
    body = template.body.format(**values)
    if ctx.message.secret_kinds:
        body = template.secret_notice.format(**values) + "\n\n" + body
    return template.subject.format(**values), body


def run(ctx: Context) -> None:
    skip = _skip_reason(ctx)
    if skip:
        ctx.reason("acknowledge", f"no acknowledgement: {skip}")
        return
    subject, body = _render(ctx)
    row = queue_outbound(ctx.session, ctx.conversation, body, subject=subject, now=ctx.now,
                         automatic=True)
    ctx.outbound.append(row)
    record(ctx.session, "acknowledged", conversation_id=ctx.conversation.id, message_id=row.id,
           data={"language": ctx.conversation.language, "secret_notice": bool(ctx.message.secret_kinds)})
    ctx.reason("acknowledge", f"acknowledged in {ctx.conversation.language}")
    log.info("message %s acknowledged in %s (outbound message %s)", ctx.message.id,
             ctx.conversation.language, row.id)
