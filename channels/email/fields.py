"""The envelope fields of an Inbound: sender, ids for threading, date, and whether
the mail was sent by a machine (never acknowledged, to avoid mail loops)."""
from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime
from email.message import Message
from email.utils import getaddresses, parsedate_to_datetime

from channels.email.headers import Headers
from channels.email.limits import MAX_REFERENCES

_MESSAGE_ID = re.compile(r"<[^<>\s]+>")
_ADDRESS = re.compile(r"[^\s\x00-\x1f<>()\[\]\"',;:@]+@[^\s\x00-\x1f<>()\[\]\"',;:@]+")
_AUTOMATIC_SENDERS = {"mailer-daemon", "postmaster", "noreply", "no-reply", "do-not-reply", "donotreply"}


def sender_of(headers: Headers, envelope_from: str, notes: list[str]) -> tuple[str, str]:
    """The sender's address (lower-cased) and display name, from From, else Return-Path, else the envelope."""
    raw_name, address = first_address(headers.raw("from"))
    name = " ".join(headers.decode(raw_name, "from").strip("\"' ").split()) if raw_name else ""
    if not address:
        address = first_address(headers.raw("return-path"))[1] or address_in(envelope_from)
        notes.append("no readable From address; sender taken from "
                     + ("Return-Path or envelope" if address else "nowhere (unknown)"))
    return address.lower(), name


def first_address(value: str) -> tuple[str, str]:
    """(display name as Latin-1 text, address) of the first address in a header value."""
    if not value:
        return "", ""
    for name, address in getaddresses([value]):
        address = address.strip()
        if re.fullmatch(r"[^@\s]+@[^@\s]+", address):
            return name, _from_latin1(address)
    found = _ADDRESS.search(value)
    return "", _from_latin1(found.group(0)) if found else ""


def _from_latin1(text: str) -> str:
    """Undo the one-char-per-byte view for an address (UTF-8 addresses exist, RFC 6531)."""
    try:
        return text.encode("latin-1").decode("utf-8", "replace")
    except UnicodeEncodeError:
        return text


def address_in(value: str) -> str:
    found = _ADDRESS.search(value or "")
    return found.group(0).lower() if found else ""


def hash_id(raw: bytes) -> str:
    return "sha256:" + hashlib.sha256(raw).hexdigest()


def external_id(message_id: str, raw: bytes, notes: list[str]) -> str:
    """The Message-ID as written (angle brackets kept), or a hash of the bytes so redelivery dedupes."""
    message_id = "".join(message_id.split())
    if message_id and len(message_id) <= 998:
        return _from_latin1(message_id)
    notes.append("no usable Message-ID; the id is a hash of the message")
    return hash_id(raw)


def received_at(value: str, notes: list[str]) -> datetime | None:
    if not value.strip():
        return None
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        # Quoted whole: intake redacts a note before it cuts it, so no cut hides half a secret.
        notes.append(f"Date header could not be read: {value[:2000]!r}")
        return None
    if when.tzinfo is None:  # "-0000" means UTC with an unknown origin zone.
        when = when.replace(tzinfo=UTC)
    return when.astimezone(UTC)


def first_id(value: str) -> str:
    found = _MESSAGE_ID.search(value)
    return _from_latin1(found.group(0)) if found else ""


def references_of(value: str, in_reply_to: str) -> list[str]:
    """Message-IDs from References plus In-Reply-To, de-duplicated in order, root and newest kept."""
    found = [_from_latin1(message_id) for message_id in _MESSAGE_ID.findall(value)]
    ids = list(dict.fromkeys(found + ([in_reply_to] if in_reply_to else [])))
    if len(ids) > MAX_REFERENCES:
        ids = ids[:1] + ids[-(MAX_REFERENCES - 1):]
    return ids


def is_automatic(msg: Message, headers: Headers, sender: str, envelope_from: str) -> bool:
    """Whether a machine wrote this (auto-reply, bounce, list mail): such mail is never answered."""
    auto_submitted = headers.raw("auto-submitted").lower().split("(")[0].strip()
    suppress = headers.raw("x-auto-response-suppress").lower()
    return any((
        bool(auto_submitted) and auto_submitted != "no",
        headers.raw("precedence").lower() in ("bulk", "junk", "list"),
        headers.has("x-autoreply") or headers.has("x-autorespond"),
        headers.has("x-auto-response-suppress") and suppress != "none",
        headers.has("list-id") or headers.has("list-unsubscribe"),
        sender.split("@")[0] in _AUTOMATIC_SENDERS,
        msg.get_content_type() == "multipart/report",
        headers.raw("return-path") == "<>" or envelope_from.strip() == "<>",
    ))
