"""The MIME tree walked once: the text to show (plain preferred, HTML converted,
forwarded messages inlined) and the attachments to keep, within the limits."""
from __future__ import annotations

import html as html_entities
import re
import unicodedata
from dataclasses import dataclass, field
from email.message import Message
from typing import cast

from channels.base import Attachment
from channels.email.charsets import clean_text, codecs_for, decode_bytes
from channels.email.headers import Headers, decode_header_value, to_bytes
from channels.email.html import html_to_text
from channels.email.limits import (
    FORWARD_LINE,
    MAX_DEPTH,
    MAX_FILENAME_CHARS,
    MAX_FORWARDED_CHARS,
    MAX_HTML_CHARS,
    MAX_PARTS,
    MAX_TEXT_CHARS,
)


@dataclass
class _Chunk:
    text: str
    kind: str  # "plain" or "html": multipart/alternative prefers plain
    notes: list[str] = field(default_factory=list)


class Body:
    """Walk the MIME tree once: collect the text to show and the attachments to keep."""

    def __init__(self, max_attachment_bytes: int, notes: list[str], html_budget: int | None = None):
        self.attachments: list[Attachment] = []
        self._max_attachment_bytes = max_attachment_bytes
        self._notes = notes
        self._parts = 0
        # HTML characters this mail may still have laid out (None: no budget beyond MAX_HTML_CHARS).
        self._html_left = html_budget

    def text_of(self, msg: Message) -> str:
        chunks = self._walk(msg, 0, want_text=True)
        for chunk in chunks:
            self._notes.extend(chunk.notes)
        text = "\n\n".join(c.text for c in chunks if c.text.strip()).strip()
        if len(text) > MAX_TEXT_CHARS:
            self.note(f"text cut at {MAX_TEXT_CHARS} characters (it had {len(text)})")
            text = text[:MAX_TEXT_CHARS]
        return text

    def text_of_flat(self, parts: list[Message]) -> str:
        """The text of parts that stand side by side (a message read flat): each part is
        walked alone, so no nesting is followed; a multipart piece holds only preamble."""
        chunks = [chunk for part in parts if not part.get_content_type().startswith("multipart/")
                  for chunk in self._walk(part, 0, want_text=True)]
        for chunk in chunks:
            self._notes.extend(chunk.notes)
        return "\n\n".join(c.text for c in chunks if c.text.strip()).strip()[:MAX_TEXT_CHARS]

    def note(self, note: str) -> None:
        if note not in self._notes:
            self._notes.append(note)

    def _walk(self, part: Message, depth: int, want_text: bool) -> list[_Chunk]:
        self._parts += 1
        if self._parts > MAX_PARTS:
            self.note(f"more than {MAX_PARTS} MIME parts; the rest were skipped")
            return []
        if depth > MAX_DEPTH:
            self.note(f"MIME parts nested deeper than {MAX_DEPTH} were skipped")
            return []
        ctype = part.get_content_type()
        try:
            if ctype in ("message/rfc822", "message/global") and part.is_multipart():
                return self._forwarded(part, depth, want_text)
            if ctype.startswith("multipart/") and part.is_multipart():
                children = [c for c in part.get_payload() if isinstance(c, Message)]
                if ctype == "multipart/alternative":
                    return self._alternative(children, depth, want_text)
                return [c for child in children for c in self._walk(child, depth + 1, want_text)]
            return self._leaf(part, ctype, want_text)
        except Exception as exc:  # noqa: BLE001 - one unreadable part must not cost the rest of the message.
            self.note(f"a {ctype} part could not be read ({type(exc).__name__}: {str(exc)[:120]})")
            return []

    def _alternative(self, children: list[Message], depth: int, want_text: bool) -> list[_Chunk]:
        """Use the plain-text version when it has text, else the HTML one; walk all for attachments."""
        versions = [self._walk(child, depth + 1, want_text) for child in children]
        for kind in ("plain", "html"):
            for chunks in versions:
                if any(c.kind == kind and c.text.strip() for c in chunks):
                    return chunks
        return []

    def _forwarded(self, part: Message, depth: int, want_text: bool) -> list[_Chunk]:
        """A forwarded message: its headers and text after a marker line, cut to a bound."""
        inner = cast(Message, part.get_payload(0))  # a message/rfc822 part holds one message
        chunks = self._walk(inner, depth + 1, want_text)
        if not want_text:
            return []
        headers = Headers(inner, charset_hint(inner), [])
        summary = [f"{label}: {headers.text(name)}" for label, name in
                   (("From", "from"), ("Date", "date"), ("Subject", "subject"), ("To", "to")) if headers.has(name)]
        body = "\n\n".join(c.text for c in chunks if c.text.strip())
        notes = [note for c in chunks for note in c.notes]
        if len(body) > MAX_FORWARDED_CHARS:
            body = body[:MAX_FORWARDED_CHARS]
            notes.append(f"forwarded message cut at {MAX_FORWARDED_CHARS} characters")
        return [_Chunk("\n".join([FORWARD_LINE, *summary, "", body]), "plain", notes)]

    def _leaf(self, part: Message, ctype: str, want_text: bool) -> list[_Chunk]:
        disposition = part.get_content_disposition()
        # A multipart type that the parser could not split (no boundary) is read as plain text.
        is_text = ctype in ("text/plain", "text/html") or (ctype.startswith("multipart/") and not part.is_multipart())
        if disposition == "attachment" or not is_text:
            self._attach(part, ctype)
            return []
        if not want_text:
            return []
        data = _decoded(part)
        declared = part.get_content_charset()
        if ctype == "text/html" and not declared:
            meta = re.search(rb"<meta[^>]+charset=[\"']?([\w.:-]+)", data[:4096], re.I)
            declared = meta.group(1).decode("ascii") if meta else None
        text, note = decode_bytes(data, declared)
        notes = [f"{ctype} part: {note}"] if note else []
        if ctype == "text/html":
            text = self._html_text(text, notes)
        return [_Chunk(clean_text(text), "html" if ctype == "text/html" else "plain", notes)]

    def _html_text(self, html: str, notes: list[str]) -> str:
        if len(html) > MAX_HTML_CHARS:
            notes.append(f"HTML part cut at {MAX_HTML_CHARS} characters before conversion")
            html = html[:MAX_HTML_CHARS]
        if self._html_left is not None:
            if len(html) > self._html_left:
                # Laying HTML out costs far more than reading it: past the budget, words only.
                self.note("HTML beyond the mail's layout budget: shown as its words, tags stripped")
                return words_of_html(html)
            self._html_left -= len(html)
        try:
            return html_to_text(html)
        except Exception as exc:  # noqa: BLE001 - a pathological document still yields its words, without layout.
            notes.append(f"HTML could not be laid out ({type(exc).__name__}); tags stripped instead")
            return words_of_html(html)

    def _attach(self, part: Message, ctype: str) -> None:
        number = len(self.attachments) + 1
        data = _part_bytes(part)
        name = _filename(part, number)
        size = len(data)
        kept: bytes | None = data
        if size > self._max_attachment_bytes:
            self.note(f"attachment {name!r} ({size} bytes) is over the {self._max_attachment_bytes}-byte limit;"
                       " not kept")
            kept = None
        self.attachments.append(Attachment(filename=name, content_type=ctype, data=kept, size=size,
                                           charset=_declared_charset(part)))


def words_of_html(html: str) -> str:
    """HTML's words without its layout, in one linear pass (no parser, no tree)."""
    # [^<>] rather than [^>]: a run of "<" without ">" must not rescan to the end each time.
    text = html_entities.unescape(re.sub(r"<[^<>]*>", " ", html))
    lines = (" ".join(line.split()) for line in text.splitlines())
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def _part_bytes(part: Message) -> bytes:
    """The decoded content of a leaf part; for message/* parts, the enclosed message(s) as bytes."""
    if part.is_multipart():
        return b"".join(p.as_bytes() for p in part.get_payload() if isinstance(p, Message))
    return _decoded(part)


def _declared_charset(part: Message) -> str:
    try:
        return (part.get_content_charset() or "")[:40]
    except Exception:  # noqa: BLE001 - a malformed parameter: intake sniffs the charset instead.
        return ""


def _decoded(part: Message) -> bytes:
    """A leaf part's content, transfer encoding undone (b"" when it has none)."""
    payload = part.get_payload(decode=True)
    return payload if isinstance(payload, bytes) else b""


def _filename(part: Message, number: int) -> str:
    """The part's file name, decoded (RFC 2231 or encoded words) and made safe to store and show."""
    raw = _param(part, "content-disposition", "filename")
    if raw is None:
        raw = _param(part, "content-type", "name")
    if isinstance(raw, tuple):  # RFC 2231: (charset, language, text with one char per byte)
        charset, _, value = raw
        name = decode_bytes(value.encode("latin-1", "replace"), charset or None)[0]
    elif raw:
        name = decode_header_value(raw.encode("latin-1", "replace"))[0]
    else:
        name = ""
    return sanitize_filename(name) or f"attachment-{number}"


def _param(part: Message, header: str, name: str) -> str | tuple | None:
    """A header parameter with every byte kept as one Latin-1 character.

    The part's own get_param turns raw 8-bit bytes into U+FFFD, so the raw value
    is parsed through a scratch Message instead.
    """
    raw = next((value for key, value in part.raw_items() if key.lower() == header), None)
    if raw is None:
        return None
    scratch = Message()
    scratch[header] = to_bytes(re.sub(r"\r?\n(?=[ \t])", "", raw)).decode("latin-1")
    return scratch.get_param(name, None, header)


def sanitize_filename(name: str) -> str:
    """Keep the last path component, drop control and bidi-override characters, cap the length."""
    name = re.split(r"[/\\]", name)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch) not in ("Cc", "Cf", "Zl", "Zp"))
    name = " ".join(name.split()).strip(". ")
    if len(name) > MAX_FILENAME_CHARS:
        _stem, dot, ext = name.rpartition(".")
        ext = ext if dot and len(ext) <= 16 else ""
        name = name[: MAX_FILENAME_CHARS - len(ext) - 1].rstrip() + ("." + ext if ext else "")
        name = name[:MAX_FILENAME_CHARS]
    return name


def walk_parts(msg: Message):
    """The message's parts in order, at most MAX_PARTS of them."""
    for count, part in enumerate(msg.walk()):
        if count >= MAX_PARTS:
            return
        yield part


def charset_hint(msg: Message) -> str | None:
    """The first legacy charset the message declares: the best guess for its undeclared 8-bit headers."""
    try:
        for part in walk_parts(msg):
            charset = part.get_content_charset()
            if charset and codecs_for(charset) and charset not in ("us-ascii", "utf-8"):
                return charset
    except Exception:  # noqa: BLE001 - only a hint: without it, guessing starts from UTF-8 and detection.
        return None
    return None
