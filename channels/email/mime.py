"""Turn one raw email (RFC 5322 bytes) into an `Inbound`, whatever state it arrives in.

The job is reading, not judging: `parse` never raises. What it had to guess
(a charset, a broken header, a part it skipped) goes into `parse_notes`, so an
agent can see why a message looks odd. `strip_quoted` is a separate helper that
the pipeline uses to classify only the new part of a reply.

The stdlib parser runs with the compat32 policy: the default policy parses
headers lazily and can raise on malformed ones when they are read, and its
charset handling would decode "gb2312" with the narrow gb2312 codec. Headers
and bodies are therefore decoded here, from their raw bytes.
"""
from __future__ import annotations

import re
from email.parser import BytesParser
from email.policy import compat32

from channels.base import Inbound
from channels.email.body import Body, charset_hint, sanitize_filename, walk_parts
from channels.email.charsets import clean_text, decode_bytes
from channels.email.dsn import delivery_report
from channels.email.fields import (
    address_in,
    automatic_reason,
    external_id,
    first_id,
    first_mailbox,
    hash_id,
    received_at,
    references_of,
    sender_of,
)
from channels.email.flat import flat_parts
from channels.email.headers import Headers
from channels.email.html import html_to_text
from channels.email.limits import FORWARD_LINE, MAX_TEXT_CHARS
from channels.email.quoted import strip_quoted

_HEADER_LINE = re.compile(rb"^[!-9;-~]+[ \t]*:")
_DEFECTS = {  # The stdlib's names for structural problems, in words an agent can read.
    "MissingHeaderBodySeparatorDefect": "no blank line after the headers (or no headers at all)",
    "StartBoundaryNotFoundDefect": "a multipart boundary was never found",
    "CloseBoundaryNotFoundDefect": "a multipart part is not closed",
    "NoBoundaryInMultipartDefect": "a multipart part declares no boundary",
    "MultipartInvariantViolationDefect": "a multipart part has no parts",
    "InvalidBase64PaddingDefect": "base64 content with bad padding",
    "InvalidBase64CharactersDefect": "base64 content with invalid characters",
    "InvalidBase64LengthDefect": "base64 content of impossible length",
}

def parse(raw: bytes, *, max_attachment_bytes: int = 5 * 1024 * 1024,
          envelope_from: str = "", envelope_to: str = "", html_budget: int | None = None) -> Inbound:
    """Read one raw email into an Inbound; never raises, records what it guessed.

    `html_budget` caps the HTML characters laid out as text over the whole mail; HTML
    past it is reduced to its words (0: no layout at all)."""
    raw = raw if isinstance(raw, bytes) else _as_bytes(raw)
    notes: list[str] = []
    try:
        return _parse(raw, notes, max_attachment_bytes, envelope_from, envelope_to, html_budget)
    except Exception as exc:  # noqa: BLE001 - the message must still be taken in; the note says why it looks odd.
        notes.append(f"message could not be parsed ({type(exc).__name__}: {str(exc)[:200]});"
                     " its parts were read one by one, without their nesting")
        body = Body(max_attachment_bytes, notes)
        return Inbound(channel="email", external_id=hash_id(raw), sender=address_in(envelope_from),
                       text=_flat_text(raw, body), recipient=address_in(envelope_to),
                       attachments=body.attachments, parse_notes=notes)


def _flat_text(raw: bytes, body: Body) -> str:
    """The text of a message the parser could not walk, decoded part by part (its files go
    to `body.attachments`). Never the raw bytes: encoded bodies and headers would carry
    their secrets past redaction."""
    try:
        return body.text_of_flat(flat_parts(raw))
    except Exception as exc:  # noqa: BLE001 - nothing readable: say so rather than store what cannot be redacted.
        body.attachments.clear()
        body.note(f"its parts could not be read either ({type(exc).__name__}); nothing kept of its {len(raw)} bytes")
        return ""


def parse_raw(raw: bytes, *, envelope_from: str = "", envelope_to: str = "",
              notes: list[str] | None = None) -> Inbound:
    """The last resort when even a reading without HTML layout ran over its budget: the raw
    message's first characters as its text, the envelope as its addresses. Linear in the
    bytes it reads, whatever the mail holds. Encoded content (base64 lines, quoted-printable
    escapes, RFC 2047 words) is left out, not kept: redaction reads plain text only, and a
    secret inside an encoding would pass it."""
    notes = list(notes or [])
    text, note = decode_bytes(raw[: MAX_TEXT_CHARS * 4], None)
    notes.extend([note] if note else [])
    plain, dropped = _ENCODED.subn("[encoded content not kept]", clean_text(text))
    if dropped:
        notes.append(f"{dropped} encoded pieces of the raw message were not kept")
    return Inbound(channel="email", external_id=hash_id(raw), sender=address_in(envelope_from),
                   text=plain[:MAX_TEXT_CHARS], recipient=address_in(envelope_to), parse_notes=notes)


# A base64 line (no spaces, 16+ characters of its alphabet), a run of quoted-printable
# escapes, or an encoded word.
_ENCODED = re.compile(r"(?m)^[A-Za-z0-9+/]{16,}={0,2}$|(?:=[0-9A-Fa-f]{2}){2,}\S*|=\?[^?\s]+\?[BbQq]\?[^?\s]*\?=")


def _parse(raw: bytes, notes: list[str], max_attachment_bytes: int,
           envelope_from: str, envelope_to: str, html_budget: int | None) -> Inbound:
    msg = BytesParser(policy=compat32).parsebytes(_repair_header_block(raw, notes))
    headers = Headers(msg, charset_hint(msg), notes)
    defects = {type(d).__name__ for part in walk_parts(msg) for d in part.defects}
    notes.extend(f"message structure: {_DEFECTS.get(name, name)}" for name in sorted(defects))
    body = Body(max_attachment_bytes, notes, html_budget)
    text = body.text_of(msg)
    sender, sender_name = sender_of(headers, envelope_from, notes)
    in_reply_to = first_id(headers.raw("in-reply-to"))
    automatic = automatic_reason(msg, headers, sender, envelope_from)
    return Inbound(
        channel="email",
        external_id=external_id(headers.raw("message-id"), raw, notes),
        sender=sender,
        sender_name=sender_name,
        recipient=address_in(envelope_to) or first_mailbox(headers, "to", notes)[1].lower(),
        subject=" ".join(headers.text("subject").split()),
        text=text,
        received_at=received_at(headers.text("date"), notes),
        in_reply_to=in_reply_to,
        references=references_of(headers.raw("references"), in_reply_to),
        auto_submitted=bool(automatic),
        auto_reason=automatic,
        delivery_report=delivery_report(msg),
        attachments=body.attachments,
        parse_notes=notes,
    )


def _as_bytes(raw) -> bytes:
    """Accept str or buffer input from careless callers instead of failing on it."""
    if isinstance(raw, str):
        return raw.encode("utf-8", "surrogateescape")
    try:
        return bytes(raw)
    except (TypeError, ValueError):
        return b""


def _repair_header_block(raw: bytes, notes: list[str]) -> bytes:
    """Drop stray non-header lines inside the header block.

    The stdlib parser ends the headers at the first line without a colon, which
    turns every header after it (To, Subject, Message-ID) into body text. A stray
    line is dropped only when a header line follows it, so a message that simply
    lacks the blank line before its body is left alone.
    """
    raw = raw.lstrip(b"\r\n") if _HEADER_LINE.match(raw.lstrip(b"\r\n")) else raw
    end = re.search(rb"\r?\n\r?\n", raw[:262_144])
    if not end:
        return raw
    lines = raw[: end.start()].split(b"\n")
    kept, dropped = [], 0
    for i, line in enumerate(lines):
        ok = _HEADER_LINE.match(line) or line[:1] in (b" ", b"\t") or (i == 0 and line.startswith(b"From "))
        if not ok and i + 1 < len(lines) and _HEADER_LINE.match(lines[i + 1]):
            dropped += 1
            continue
        kept.append(line)
    if not dropped:
        return raw
    notes.append(f"dropped {dropped} malformed header line(s) without a colon")
    return b"\n".join(kept) + raw[end.start():]





__all__ = ["FORWARD_LINE", "MAX_TEXT_CHARS", "html_to_text", "parse", "parse_raw", "sanitize_filename",
           "strip_quoted"]
