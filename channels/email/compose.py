"""Build the email for one `Outbound`: threading headers, auto-reply marks, a plain UTF-8 body.

Composing is separate from sending so the message can be checked (and tested) without a relay.
"""
from __future__ import annotations

import uuid
from datetime import datetime, timezone
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, parseaddr

from channels.base import Outbound

MAX_REFERENCES = 20

# SMTP line ends, and a 7-bit body (quoted-printable or base64) so relays without
# 8BITMIME pass it unchanged.
_POLICY = policy.SMTP.clone(cte_type="7bit")


def compose(outbound: Outbound, *, from_addr: str, from_name: str = "") -> EmailMessage:
    """The message to relay for `outbound`; ValueError when it has no Message-ID or no usable recipient."""
    if not outbound.message_id.strip():
        raise ValueError("outbound email needs a message_id (see new_message_id)")
    if "@" not in parseaddr(outbound.recipient)[1] or _has_line_break(outbound.recipient):
        raise ValueError(f"not an email address: {outbound.recipient!r}")
    msg = EmailMessage(policy=_POLICY)
    msg["From"] = formataddr((" ".join(from_name.split()), from_addr))
    msg["To"] = outbound.recipient.strip()
    # Line breaks in a subject would be refused by the header code; they carry no meaning.
    msg["Subject"] = " ".join(outbound.subject.split())
    msg["Date"] = format_datetime(datetime.now(timezone.utc))
    msg["Message-ID"] = outbound.message_id.strip()
    if outbound.in_reply_to.strip():
        msg["In-Reply-To"] = outbound.in_reply_to.strip()
    references = trim_references(outbound.references, outbound.in_reply_to)
    if references:
        msg["References"] = " ".join(references)
    if outbound.automatic:
        # RFC 3834: other machines must not answer an automatic message (no auto-reply loops).
        msg["Auto-Submitted"] = "auto-replied"
        msg["X-Auto-Response-Suppress"] = "All"
    msg.set_content(outbound.text, charset="utf-8")
    # After set_content, which clears every Content-* header.
    if outbound.language.strip():
        msg["Content-Language"] = outbound.language.strip()
    return msg


def trim_references(references: list[str], in_reply_to: str = "") -> list[str]:
    """References to send: in order, de-duplicated, the parent last, at most the root plus the newest.

    The root is kept because some clients thread by the first id; the newest
    because they name the parent. Long chains are cut so the header stays small.
    """
    ids = [r.strip() for r in references if r and r.strip() and not _has_line_break(r)]
    if in_reply_to.strip() and not _has_line_break(in_reply_to):
        ids.append(in_reply_to.strip())
    ids = list(dict.fromkeys(ids))
    if len(ids) > MAX_REFERENCES:
        ids = ids[:1] + ids[-(MAX_REFERENCES - 1):]
    return ids


def new_message_id(domain: str, conversation_id: int | None = None) -> str:
    """A fresh Message-ID of ours; it names the conversation so replies thread even without a token."""
    domain = domain.strip()
    if not domain or any(ch.isspace() or ch in "<>@" for ch in domain):
        raise ValueError(f"not a mail domain: {domain!r}")
    return f"<msgrouter.{conversation_id or 0}.{uuid.uuid4().hex}@{domain}>"


def _has_line_break(value: str) -> bool:
    return "\r" in value or "\n" in value
