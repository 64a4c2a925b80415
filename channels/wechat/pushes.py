"""Read one WeChat XML push (already decrypted in safe mode) into what the desk does with it,
without any I/O.

A push is a customer's message (`message`: text, image, voice, link, ...), a follow
(`subscribe`: greeted, no case opened), an unfollow (`unsubscribe`: the openid can no
longer be written to) or something we do not handle (`ignored`, with the reason: menu
clicks, location reports, ...). wechatpy's parser reads the XML.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal
from xml.parsers.expat import ExpatError

from wechatpy import parse_message
from wechatpy.messages import BaseMessage

from channels.base import Inbound

CHANNEL = "wechat"
Kind = Literal["message", "subscribe", "unsubscribe", "ignored"]
# Pushes that are a customer writing to the desk; "event" pushes are handled by kind below.
MESSAGE_TYPES = ("text", "image", "voice", "video", "shortvideo", "location", "link")
SUBSCRIBE_EVENTS = ("subscribe", "subscribe_scan")  # a follow, plain or by scanning a QR code


class BadPush(ValueError):
    """The body is not a WeChat push (the webhook answers 400)."""


@dataclass(slots=True)
class Received:
    kind: Kind
    openid: str  # the customer's openid for this official account (FromUserName)
    inbound: Inbound | None = None  # for message and subscribe
    reason: str = ""  # why a push is ignored


def external_id(push: BaseMessage) -> str:
    """A message's MsgId; an event has none, so the follower and the second it happened name it
    (`openid:CreateTime`). WeChat retries a push three times with the same ids."""
    msg_id = getattr(push, "id", None)
    return str(msg_id) if msg_id else f"{push.source}:{int(push.create_time.timestamp())}"


def read(xml: str | bytes) -> Received:
    """The push's XML -> what it means for the desk. Raises BadPush for anything else."""
    try:
        # wechatpy converts a field when it is read, so a bad number surfaces here too.
        return _read(parse_message(xml))
    except BadPush:
        raise
    except (ExpatError, KeyError, TypeError, ValueError, AttributeError, OverflowError) as exc:
        raise BadPush(f"not a WeChat push: {type(exc).__name__}: {exc}") from None


def _read(push: Any) -> Received:
    if push is None or not getattr(push, "source", None) or not isinstance(push.create_time, datetime):
        raise BadPush("not a WeChat push: FromUserName and CreateTime are required")
    openid = str(push.source)
    if push.type == "event":
        event = str(getattr(push, "event", "")).lower()
        if event in SUBSCRIBE_EVENTS:
            return Received("subscribe", openid, _inbound(push, ""))
        if event == "unsubscribe":
            return Received("unsubscribe", openid)
        return Received("ignored", openid, reason=f"a {event or 'unknown'} event")
    if push.type not in MESSAGE_TYPES:
        return Received("ignored", openid, reason=f"a {push.type} message")
    text, notes = _content(push)
    inbound = _inbound(push, text)
    inbound.parse_notes.extend(notes)
    return Received("message", openid, inbound)


def _inbound(push: BaseMessage, text: str) -> Inbound:
    when = push.create_time
    return Inbound(channel=CHANNEL, external_id=external_id(push), sender=str(push.source),
                   recipient=str(push.target or ""), text=text,
                   received_at=when.astimezone(UTC) if when.tzinfo else when.replace(tzinfo=UTC))


def _content(push: Any) -> tuple[str, list[str]]:
    """The text agents read and what they should know about how it was made."""
    kind = push.type
    if kind == "text":
        return push.content or "", []
    if kind == "voice":
        media = f"a voice message ({push.format or 'amr'}, media id {push.media_id})"
        if push.recognition:
            return push.recognition, [f"{media}; the text is WeChat's speech recognition"]
        return "[voice message]", [f"{media} without speech recognition: listen to it in the official account"]
    if kind == "image":
        return f"[image] {push.image}", [f"a picture (media id {push.media_id}); not downloaded, its link is the text"]
    if kind == "link":
        parts = [push.title, push.description, push.url]
        return "\n".join(p for p in parts if p), ["a shared link"]
    if kind == "location":
        return f"[location] {push.label or ''} ({push.location_x}, {push.location_y})".replace("  ", " "), []
    return f"[{kind}]", [f"a {kind} (media id {getattr(push, 'media_id', '?')}); not downloaded"]
