"""Delivery status notifications (RFC 3464): which recipients of which mail of ours failed
for good, read from a bounce's `message/delivery-status` part and the returned headers.

Only a report's facts are taken here; whether the mail it names is really ours, and so
whether an address is marked undeliverable, is the pipeline's decision
(`router/steps/automatic.py`), since anybody can send a mail that looks like a bounce.
"""
from __future__ import annotations

import re
from email.message import Message
from email.parser import HeaderParser
from email.policy import compat32

_MESSAGE_ID = re.compile(r"<[^<>\s]+>")
_ADDRESS = re.compile(r"[^\s<>;]+@[^\s<>;]+")
_MAX_RECIPIENTS = 100  # a report naming more is cut: nobody sends to that many from one reply


def delivery_report(msg: Message) -> dict | None:
    """{"original_message_id": "<...>" or "", "permanent": [address, ...], "statuses":
    {address: "5.1.1"}} for a delivery status report, None for any other mail."""
    if msg.get_content_type() != "multipart/report" or \
            str(msg.get_param("report-type", "")).lower() != "delivery-status":
        return None
    statuses: dict[str, str] = {}
    original = ""
    for part in msg.walk():
        kind = part.get_content_type()
        if kind == "message/delivery-status":
            statuses.update(_failed_recipients(part))
        elif kind in ("message/rfc822", "message/global", "text/rfc822-headers") and not original:
            original = _original_message_id(part)
    permanent = sorted(statuses)[:_MAX_RECIPIENTS]
    return {"original_message_id": original, "permanent": permanent,
            "statuses": {address: statuses[address] for address in permanent}}


def _failed_recipients(part: Message) -> dict[str, str]:
    """address -> status of each recipient the report gives up on (Action: failed, 5.x.x)."""
    blocks = part.get_payload()
    if not isinstance(blocks, list):
        return {}
    found: dict[str, str] = {}
    for block in blocks[1:]:  # the first block is about the reporting MTA, not a recipient
        if not isinstance(block, Message):
            continue
        status = str(block.get("status", "")).strip().split()[:1]
        action = str(block.get("action", "")).strip().lower()
        recipient = _ADDRESS.search(str(block.get("final-recipient") or block.get("original-recipient") or ""))
        if recipient and status and status[0].startswith("5.") and action == "failed":
            found[recipient.group(0).lower()] = status[0]
    return found


def _original_message_id(part: Message) -> str:
    payload = part.get_payload()
    if isinstance(payload, list):  # message/rfc822: the returned mail, parsed
        headers = payload[0] if payload and isinstance(payload[0], Message) else None
    elif isinstance(payload, str):  # text/rfc822-headers: only the returned headers
        headers = HeaderParser(policy=compat32).parsestr(payload)
    else:
        headers = None
    found = _MESSAGE_ID.search(str(headers.get("message-id", ""))) if headers is not None else None
    return found.group(0) if found else ""
