"""The envelope fields of an Inbound: sender, ids for threading, date, and whether
the mail was sent by a machine (never acknowledged, to avoid mail loops)."""
from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime
from email.headerregistry import Address, AddressHeader, HeaderRegistry
from email.message import Message
from email.utils import parsedate_to_datetime

from channels.email.headers import Headers
from channels.email.limits import MAX_REFERENCES

_MESSAGE_ID = re.compile(r"<[^<>\s]+>")
_ADDRESS = re.compile(r"[^\s\x00-\x1f<>()\[\]\"',;:@]+@[^\s\x00-\x1f<>()\[\]\"',;:@]+")
_NOT_IN_ADDRESS = re.compile(r"[\x00-\x1f\x7f-\x9f<>]")
_COMMENT = re.compile(r"\(([^()]*)\)?")
_WORD = r"=\?[!->@-~]+\?[bBqQ]\?[!->@-~]*\?="  # an RFC 2047 encoded word: printable ASCII but "?"
_ENCODED_WORDS = re.compile(f"{_WORD}(?:[ \\t]+{_WORD})*")
_OPEN, _CLOSE = "\ue000", "\ue001"  # private-use characters: never in real mail, atext to the parser
_PLACEHOLDER = re.compile(f"{_OPEN}(\\d+){_CLOSE}")
_REGISTRY = HeaderRegistry()
_AUTOMATIC_SENDERS = {"mailer-daemon", "postmaster", "noreply", "no-reply", "do-not-reply", "donotreply"}


def sender_of(headers: Headers, envelope_from: str, notes: list[str]) -> tuple[str, str]:
    """The sender's address (lower-cased) and display name, from From, else Return-Path, else the envelope."""
    name, address = first_mailbox(headers, "from", notes)
    if not address:
        address = first_mailbox(headers, "return-path", notes)[1] or address_in(envelope_from)
        notes.append("no readable From address; sender taken from "
                     + ("Return-Path or envelope" if address else "nowhere (unknown)"))
    return address.lower(), name


def first_mailbox(headers: Headers, name: str, notes: list[str]) -> tuple[str, str]:
    """(display name, address) of the first mailbox in an address header, read by the
    standard library's RFC 5322 parser (email.headerregistry) over the header as Unicode
    text (UTF-8 addresses, RFC 6532).

    Encoded words are set aside before the structure is read and decoded only into the
    display name afterwards, so a name cannot change the address: a `:` or `<x@y>` written
    inside `=?utf-8?q?...?=` is text, not a group or an address."""
    value, words = _set_aside_encoded_words(headers.unicode(name))
    if not value.strip():
        return "", ""
    for mailbox in _mailboxes(value):
        address = _address_of(mailbox, words, notes, name)
        if address:
            display = _put_back(mailbox.display_name, words, headers, name, decode=True)
            if not display:  # the old form "addr (Name)"
                comment = _COMMENT.search(value)
                display = _put_back(comment.group(1), words, headers, name, decode=True) if comment else ""
            return " ".join(display.strip("\"' ").split()), address
    found = _ADDRESS.search(_put_back(value, words, headers, name, decode=False))
    return "", found.group(0) if found else ""


def _mailboxes(value: str) -> list[Address]:
    """The mailboxes the standard library's RFC 5322 parser finds in `value`."""
    try:
        header = _REGISTRY("from", value)
    except Exception:  # noqa: BLE001 - the parser has failed on hostile input before; callers fall back
        return []
    return list(header.addresses) if isinstance(header, AddressHeader) else []


def _address_of(mailbox: Address, words: list[str], notes: list[str], name: str) -> str:
    """The mailbox's address, or "" when it has none. `<"x@y">`, an address written as
    one quoted local part, is read as the address inside the quotes."""
    local = _put_back(mailbox.username, words)
    domain = _put_back(mailbox.domain, words)
    if not domain and "@" in local:
        inner = _mailboxes(local)
        if inner and inner[0].domain and "@" not in inner[0].username:
            notes.append(f"header {name}: the address was written as one quoted string; read without the quotes")
            local, domain = inner[0].username, inner[0].domain
    if not (local and domain) or _NOT_IN_ADDRESS.search(local + domain):
        return ""
    try:
        return Address(username=local, domain=domain).addr_spec  # quotes a local part that needs it
    except ValueError:
        return ""


def _set_aside_encoded_words(value: str) -> tuple[str, list[str]]:
    """The value with each run of encoded words replaced by a private-use placeholder
    (an atom to the parser), and the runs as written."""
    value = value.replace(_OPEN, "\ufffd").replace(_CLOSE, "\ufffd")
    words: list[str] = []

    def aside(match: re.Match[str]) -> str:
        words.append(match.group(0))
        return f"{_OPEN}{len(words) - 1}{_CLOSE}"

    return _ENCODED_WORDS.sub(aside, value), words


def _put_back(text: str, words: list[str], headers: Headers | None = None, name: str = "",
              decode: bool = False) -> str:
    """Placeholders back to their encoded words, decoded (display names) or as written
    (an encoded word is not decoded inside an address, RFC 2047 section 5)."""
    def back(match: re.Match[str]) -> str:
        word = words[int(match.group(1))]
        return headers.decode(word, name) if decode and headers is not None else word

    return _PLACEHOLDER.sub(back, text or "")


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


def automatic_reason(msg: Message, headers: Headers, sender: str, envelope_from: str) -> str:
    """Which sign says a machine wrote this (auto-reply, bounce, list mail), or "" for a
    person's mail. Such mail is never answered and opens no work."""
    auto_submitted = headers.raw("auto-submitted").lower().split("(")[0].strip()
    suppress = headers.raw("x-auto-response-suppress").lower()
    precedence = headers.raw("precedence").lower()
    signs = (
        (bool(auto_submitted) and auto_submitted != "no", f"Auto-Submitted: {auto_submitted}"),
        (precedence in ("bulk", "junk", "list"), f"Precedence: {precedence}"),
        (headers.has("x-autoreply"), "X-Autoreply"),
        (headers.has("x-autorespond"), "X-Autorespond"),
        (headers.has("x-auto-response-suppress") and suppress != "none", "X-Auto-Response-Suppress"),
        (headers.has("list-id"), "List-Id"),
        (headers.has("list-unsubscribe"), "List-Unsubscribe"),
        (sender.split("@")[0] in _AUTOMATIC_SENDERS, f"sender {sender.split('@')[0]}"),
        (msg.get_content_type() == "multipart/report", "delivery or disposition report"),
        (envelope_from.strip() == "<>", "MAIL FROM:<>"),
        (headers.raw("return-path") == "<>", "Return-Path: <>"),
    )
    return next((reason for found, reason in signs if found), "")
