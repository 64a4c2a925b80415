"""Read one Bot API Update (its JSON) into what msgrouter does with it, without any I/O.

An update is a customer's message (`message`), a new version of one (`edit`), a `/start`
(`start`: greeted, no case opened) or something we do not handle (`ignored`, with the
reason: group chats, channel posts, callbacks, ...). Files are listed with their Bot API
file ids; fetching them is `channels.telegram.files`' job.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from telegram import Message, Update

from channels.base import Attachment, Inbound

CHANNEL = "telegram"
Kind = Literal["message", "edit", "start", "ignored"]


class BadUpdate(ValueError):
    """The body is not a Bot API Update (the webhook answers 400)."""


@dataclass(frozen=True, slots=True)
class FileRef:
    """A file the message carries, to fetch with getFile."""

    file_id: str
    filename: str
    content_type: str
    size: int | None  # as Telegram declares it; None when it does not say


@dataclass(slots=True)
class Received:
    update_id: int
    kind: Kind
    inbound: Inbound | None = None  # for message, edit and start
    files: list[FileRef] = field(default_factory=list)
    language_code: str = ""  # the user's Telegram interface language, e.g. "zh-hans"
    reason: str = ""  # why an update is ignored
    edit_key: str = ""  # tells an edit's versions apart: when it was made


def external_id(chat_id: int, message_id: int) -> str:
    """`chat_id:message_id`: unique per bot, so a redelivered update stores nothing new."""
    return f"{chat_id}:{message_id}"


def read(data: Any, max_attachment_bytes: int) -> Received:
    """The Update JSON (already decoded) -> what it means for the desk."""
    if not isinstance(data, dict) or not isinstance(data.get("update_id"), int):
        raise BadUpdate("not a Telegram Update: an object with an integer update_id is expected")
    try:
        update = Update.de_json(data, None)
    except (KeyError, TypeError, ValueError) as exc:
        raise BadUpdate(f"not a Telegram Update: {type(exc).__name__}: {exc}") from None
    edited = update.edited_message is not None
    message = update.edited_message or update.message
    if message is None:
        present = sorted(k for k in data if k != "update_id")
        return Received(update.update_id, "ignored", reason=f"no message in the update ({', '.join(present)})")
    if message.chat.type != "private":
        return Received(update.update_id, "ignored",
                        reason=f"a message in a {message.chat.type} chat ({message.chat.id}): private chats only")
    user = message.from_user
    language = (user.language_code or "") if user else ""
    inbound = _inbound(message)
    if not edited and _is_start(message.text):
        return Received(update.update_id, "start", inbound, language_code=language)
    files = _files(message, max_attachment_bytes)
    inbound.attachments = [Attachment(f.filename, f.content_type, None, f.size or 0) for f in files]
    if not edited:
        return Received(update.update_id, "message", inbound, files, language)
    when = message.edit_date
    inbound.parse_notes.append(f"edited by the customer at {when.isoformat() if when else 'an unknown time'}")
    return Received(update.update_id, "edit", inbound, files, language,
                    edit_key=str(int(when.timestamp())) if when else str(update.update_id))


def _is_start(text: str | None) -> bool:
    # "/start" alone, with a deep-link payload ("/start ref42"), or addressed ("/start@bot").
    first = (text or "").split(maxsplit=1)[0] if (text or "").strip() else ""
    return first == "/start" or first.startswith("/start@")


def _inbound(message: Message) -> Inbound:
    user, chat = message.from_user, message.chat
    name = " ".join(p for p in (chat.first_name or (user and user.first_name),
                                chat.last_name or (user and user.last_name)) if p)
    username = chat.username or (user.username if user else None)
    sender_name = f"{name} (@{username})" if name and username else name or (f"@{username}" if username else "")
    return Inbound(channel=CHANNEL, external_id=external_id(chat.id, message.message_id), sender=str(chat.id),
                   sender_name=sender_name, text=message.text or message.caption or "",
                   received_at=message.date)


def _files(message: Message, max_attachment_bytes: int) -> list[FileRef]:
    found: list[FileRef] = []
    if message.photo:
        # Telegram sends each photo in several sizes, smallest first: keep the largest that
        # fits the attachment limit (the largest of all, listed but not kept, if none does).
        fitting = [p for p in message.photo if p.file_size is not None and p.file_size <= max_attachment_bytes]
        photo = (fitting or list(message.photo))[-1]
        found.append(FileRef(photo.file_id, f"photo-{photo.file_unique_id}.jpg", "image/jpeg", photo.file_size))
    if message.document:
        doc = message.document
        found.append(FileRef(doc.file_id, doc.file_name or f"document-{doc.file_unique_id}",
                             doc.mime_type or "application/octet-stream", doc.file_size))
    return found
