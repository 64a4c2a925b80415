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

import base64
import binascii
import codecs
import hashlib
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.message import Message
from email.parser import BytesParser
from email.policy import compat32
from email.utils import getaddresses, parsedate_to_datetime

from bs4 import BeautifulSoup, CData, NavigableString, Tag
from charset_normalizer import from_bytes

from channels.base import Attachment, Inbound

MAX_TEXT_CHARS = 200_000
MAX_FORWARDED_CHARS = 50_000  # one forwarded message inside the text
MAX_DEPTH = 20
MAX_PARTS = 500
MAX_HTML_CHARS = 1_000_000  # HTML beyond this is not converted; the text cap is far lower anyway
MAX_REFERENCES = 50
MAX_QUOTE_MARKS = 10  # "> " marks shown for quotes in HTML nested deeper than this
MAX_FILENAME_CHARS = 200
FORWARD_LINE = "---- Forwarded message ----"

# Names mail software writes that Python's codec registry does not know.
_EXTRA_ALIASES = {
    "x-gbk": "gbk", "x-big5": "big5", "x-sjis": "cp932", "windows-31j": "cp932",
    "cseuckr": "euc_kr", "windows-874": "cp874", "x-mac-roman": "mac-roman",
}
# Declared charsets are decoded with these codecs, first that fits wins. Real mail
# labelled gb2312 or gbk contains GBK/GB18030 characters, Big5 mail contains HKSCS
# characters, and "iso-8859-1" mail contains windows-1252 quotes.
_SUPERSETS = {
    "gb2312": ("gb18030",), "gbk": ("gb18030",), "hz": ("hz", "gb18030"),
    "big5": ("big5", "big5hkscs", "cp950"), "cp950": ("cp950", "big5hkscs"),
    "iso8859-1": ("cp1252", "iso8859-1"), "shift_jis": ("shift_jis", "cp932"),
    "euc_kr": ("cp949",), "iso2022_jp": ("iso2022_jp", "iso2022_jp_ext", "iso2022_jp_2"),
    "utf-8": ("utf-8-sig",),
}
# Codecs that decode anything or do not decode text at all: treated as unknown.
_NOT_TEXT = {"undefined", "unicode-escape", "raw-unicode-escape", "idna", "punycode"}
_SINGLE_BYTE_PREFIXES = ("iso8859", "cp125", "koi8", "mac-", "ascii", "cp437", "cp850", "cp866")

_ENCODED_WORD = re.compile(rb"=\?([^?\s]+)\?([bBqQ])\?([^?\s]*)\?=")
_MESSAGE_ID = re.compile(r"<[^<>\s]+>")
_ADDRESS = re.compile(r"[^\s\x00-\x1f<>()\[\]\"',;:@]+@[^\s\x00-\x1f<>()\[\]\"',;:@]+")
_HEADER_LINE = re.compile(rb"^[!-9;-~]+[ \t]*:")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_C1_CONTROL = re.compile(r"[\x80-\x9f]")
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
_AUTOMATIC_SENDERS = {"mailer-daemon", "postmaster", "noreply", "no-reply", "do-not-reply", "donotreply"}


def parse(raw: bytes, *, max_attachment_bytes: int = 5 * 1024 * 1024,
          envelope_from: str = "", envelope_to: str = "") -> Inbound:
    """Read one raw email into an Inbound; never raises, records what it guessed."""
    raw = raw if isinstance(raw, bytes) else _as_bytes(raw)
    notes: list[str] = []
    try:
        return _parse(raw, notes, max_attachment_bytes, envelope_from, envelope_to)
    except Exception as exc:  # The message must still be taken in; the note says why it looks raw.
        notes.append(f"message could not be parsed ({type(exc).__name__}: {str(exc)[:200]}); text is the raw message")
        text, note = decode_bytes(raw[: MAX_TEXT_CHARS * 4], None)
        notes.extend([note] if note else [])
        return Inbound(channel="email", external_id=_hash_id(raw), sender=_address_in(envelope_from),
                       text=_clean_text(text)[:MAX_TEXT_CHARS], recipient=_address_in(envelope_to),
                       parse_notes=notes)


def _parse(raw: bytes, notes: list[str], max_attachment_bytes: int,
           envelope_from: str, envelope_to: str) -> Inbound:
    msg = BytesParser(policy=compat32).parsebytes(_repair_header_block(raw, notes))
    headers = _Headers(msg, _charset_hint(msg), notes)
    defects = {type(d).__name__ for part in _bounded_walk(msg) for d in part.defects}
    notes.extend(f"message structure: {_DEFECTS.get(name, name)}" for name in sorted(defects))
    body = _Body(max_attachment_bytes, notes)
    text = body.text_of(msg)
    sender, sender_name = _sender(headers, envelope_from, notes)
    in_reply_to = _first_id(headers.raw("in-reply-to"))
    return Inbound(
        channel="email",
        external_id=_external_id(headers.raw("message-id"), raw, notes),
        sender=sender,
        sender_name=sender_name,
        recipient=_address_in(envelope_to) or _first_address(headers.raw("to"))[1].lower(),
        subject=" ".join(headers.text("subject").split()),
        text=text,
        received_at=_received_at(headers.text("date"), notes),
        in_reply_to=in_reply_to,
        references=_references(headers.raw("references"), in_reply_to),
        auto_submitted=_is_automatic(msg, headers, sender, envelope_from),
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


def _bounded_walk(msg: Message):
    """The message's parts in order, at most MAX_PARTS of them."""
    for count, part in enumerate(msg.walk()):
        if count >= MAX_PARTS:
            return
        yield part


def _charset_hint(msg: Message) -> str | None:
    """The first legacy charset the message declares: the best guess for its undeclared 8-bit headers."""
    try:
        for part in _bounded_walk(msg):
            charset = part.get_content_charset()
            if charset and _codecs_for(charset) and charset not in ("us-ascii", "utf-8"):
                return charset
    except Exception:  # Only a hint: without it, guessing starts from UTF-8 and detection.
        return None
    return None


# ---------------------------------------------------------------- charsets

def decode_bytes(data: bytes, declared: str | None, hint: str | None = None) -> tuple[str, str | None]:
    """Decode text bytes with the declared charset, guessing when it is missing or wrong.

    Returns the text and a note when a guess was made (None otherwise).
    """
    if not data:
        return "", None
    codecs_ = _codecs_for(declared) if declared else ()
    if not codecs_ and data.isascii():
        return data.decode("ascii"), None
    if codecs_ and codecs_[0].startswith(_SINGLE_BYTE_PREFIXES) and not data.isascii() and _is_utf8(data):
        # A single-byte charset accepts any bytes, so a wrong label never fails; UTF-8 text is the usual truth.
        return data.decode("utf-8"), f"text declared as {declared!r} is UTF-8; decoded as utf-8"
    for codec in codecs_:
        try:
            return data.decode(codec), None
        except (UnicodeDecodeError, LookupError):
            continue
    text, used = _guess(data, hint)
    if not declared:
        why = "no charset declared"
    elif not codecs_:
        why = f"unknown charset {declared[:40]!r}"
    else:
        why = f"text is not valid {declared[:40]!r}"
    return text, f"{why}; decoded as {used} (guessed)"


def _codecs_for(name: str | None) -> tuple[str, ...]:
    """Python codecs to try for a declared charset name; () when the name is unknown."""
    name = (name or "").strip().strip("\"'").lower().split("*")[0]
    name = _EXTRA_ALIASES.get(name, name)
    try:
        info = codecs.lookup(name)
    except (LookupError, ValueError):
        return ()
    if info.name in _NOT_TEXT or not getattr(info, "_is_text_encoding", True):
        return ()
    return _SUPERSETS.get(info.name, (info.name,))


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _guess(data: bytes, hint: str | None) -> tuple[str, str]:
    """Decode bytes of unknown charset: UTF-8, the message's own charset, detection, GB18030, Latin-1."""
    candidates = ["utf-8", *_codecs_for(hint)]
    # Detection needs some text to be right; on a few bytes it often picks an exotic codec.
    if sum(b > 0x7F for b in data[:4096]) >= 20:
        best = from_bytes(data[:100_000]).best()
        if best is not None:
            candidates.extend(_codecs_for(best.encoding))
    candidates.append("gb18030")  # This desk's mail is mostly Chinese; GB18030 is the likeliest legacy charset.
    for codec in candidates:
        try:
            return data.decode(codec), codec
        except (UnicodeDecodeError, LookupError):
            continue
    return data.decode("latin-1", errors="replace"), "latin-1"


# ---------------------------------------------------------------- headers

class _Headers:
    """Read headers from their raw bytes: unfolded, encoded words and 8-bit text decoded."""

    def __init__(self, msg: Message, hint: str | None, notes: list[str]):
        self._items = [(name.lower(), value) for name, value in msg.raw_items()]
        self._hint = hint
        self._notes = notes

    def has(self, name: str) -> bool:
        return any(key == name for key, _ in self._items)

    def raw(self, name: str) -> str:
        """The first value, unfolded, one character per byte (Latin-1), or ""."""
        for key, value in self._items:
            if key == name:
                unfolded = re.sub(r"\r?\n(?=[ \t])", "", value)
                # Control characters have no place in a header; NUL would not even store.
                return _CONTROL.sub("", _to_bytes(unfolded).decode("latin-1").replace("\t", " ")).strip()
        return ""

    def text(self, name: str) -> str:
        """The first value as readable text; guesses are noted under the header's name."""
        return self.decode(self.raw(name), name)

    def decode(self, latin1_text: str, name: str) -> str:
        """Decode a piece of a header value taken from `raw`, noting guesses under `name`."""
        text, notes = decode_header_value(latin1_text.encode("latin-1"), self._hint)
        self._notes.extend(f"header {name}: {note}" for note in notes)
        return text


def _to_bytes(value: str) -> bytes:
    """The original bytes of a header value the parser read with surrogateescape."""
    try:
        return value.encode("ascii", "surrogateescape")
    except UnicodeEncodeError:
        return value.encode("utf-8", "surrogateescape")


def decode_header_value(value: bytes, hint: str | None = None) -> tuple[str, list[str]]:
    """Decode encoded words (RFC 2047) and raw 8-bit bytes in one unfolded header value.

    Adjacent encoded words in the same charset are joined before decoding, because
    mailers split a multi-byte character across two words. A broken word stays as
    it was written.
    """
    out: list[str] = []
    notes: list[str] = []
    run_charset, run = "", bytearray()  # adjacent encoded words in one charset, decoded together
    previous_good, pos = False, 0

    def add(data: bytes, charset: str | None) -> None:
        text, note = decode_bytes(data, charset, hint)
        out.append(text)
        notes.extend([note] if note else [])

    for match in _ENCODED_WORD.finditer(value):
        between = value[pos:match.start()]
        charset = match.group(1).decode("ascii", "replace").split("*")[0]
        data = _encoded_word_bytes(match.group(2), match.group(3))
        # Whitespace between two encoded words is folding, not text (RFC 2047, section 6.2).
        adjacent = previous_good and data is not None and not between.strip()
        if not (adjacent and charset.lower() == run_charset.lower()):
            if run:
                add(bytes(run), run_charset)
                run = bytearray()
            if not adjacent:
                add(between, None)
        if data is None:
            out.append(match.group(0).decode("ascii", "replace"))
            notes.append("broken encoded word left as written")
        else:
            run_charset = charset
            run += data
        previous_good, pos = data is not None, match.end()
    if run:
        add(bytes(run), run_charset)
    add(value[pos:], None)
    return _CONTROL.sub("", "".join(out).replace("\t", " ")), notes


def _encoded_word_bytes(encoding: bytes, payload: bytes) -> bytes | None:
    if encoding in (b"q", b"Q"):
        return binascii.a2b_qp(payload, header=True)
    try:
        return base64.b64decode(payload + b"=" * (-len(payload) % 4))
    except (binascii.Error, ValueError):
        return None


# ---------------------------------------------------------------- fields

def _sender(headers: _Headers, envelope_from: str, notes: list[str]) -> tuple[str, str]:
    """The sender's address (lower-cased) and display name, from From, else Return-Path, else the envelope."""
    raw_name, address = _first_address(headers.raw("from"))
    name = " ".join(headers.decode(raw_name, "from").strip("\"' ").split()) if raw_name else ""
    if not address:
        address = _first_address(headers.raw("return-path"))[1] or _address_in(envelope_from)
        notes.append("no readable From address; sender taken from "
                     + ("Return-Path or envelope" if address else "nowhere (unknown)"))
    return address.lower(), name


def _first_address(value: str) -> tuple[str, str]:
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


def _address_in(value: str) -> str:
    found = _ADDRESS.search(value or "")
    return found.group(0).lower() if found else ""


def _hash_id(raw: bytes) -> str:
    return "sha256:" + hashlib.sha256(raw).hexdigest()


def _external_id(message_id: str, raw: bytes, notes: list[str]) -> str:
    """The Message-ID as written (angle brackets kept), or a hash of the bytes so redelivery dedupes."""
    message_id = "".join(message_id.split())
    if message_id and len(message_id) <= 998:
        return _from_latin1(message_id)
    notes.append("no usable Message-ID; the id is a hash of the message")
    return _hash_id(raw)


def _received_at(value: str, notes: list[str]) -> datetime | None:
    if not value.strip():
        return None
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        notes.append(f"Date header could not be read: {value[:80]!r}")
        return None
    if when.tzinfo is None:  # "-0000" means UTC with an unknown origin zone.
        when = when.replace(tzinfo=timezone.utc)
    return when.astimezone(timezone.utc)


def _first_id(value: str) -> str:
    found = _MESSAGE_ID.search(value)
    return _from_latin1(found.group(0)) if found else ""


def _references(value: str, in_reply_to: str) -> list[str]:
    """Message-IDs from References plus In-Reply-To, de-duplicated in order, root and newest kept."""
    found = [_from_latin1(message_id) for message_id in _MESSAGE_ID.findall(value)]
    ids = list(dict.fromkeys(found + ([in_reply_to] if in_reply_to else [])))
    if len(ids) > MAX_REFERENCES:
        ids = ids[:1] + ids[-(MAX_REFERENCES - 1):]
    return ids


def _is_automatic(msg: Message, headers: _Headers, sender: str, envelope_from: str) -> bool:
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


# ---------------------------------------------------------------- body

@dataclass
class _Chunk:
    text: str
    kind: str  # "plain" or "html": multipart/alternative prefers plain
    notes: list[str] = field(default_factory=list)


class _Body:
    """Walk the MIME tree once: collect the text to show and the attachments to keep."""

    def __init__(self, max_attachment_bytes: int, notes: list[str]):
        self.attachments: list[Attachment] = []
        self._max_attachment_bytes = max_attachment_bytes
        self._notes = notes
        self._parts = 0

    def text_of(self, msg: Message) -> str:
        chunks = self._walk(msg, 0, want_text=True)
        for chunk in chunks:
            self._notes.extend(chunk.notes)
        text = "\n\n".join(c.text for c in chunks if c.text.strip()).strip()
        if len(text) > MAX_TEXT_CHARS:
            self._note(f"text cut at {MAX_TEXT_CHARS} characters (it had {len(text)})")
            text = text[:MAX_TEXT_CHARS]
        return text

    def _note(self, note: str) -> None:
        if note not in self._notes:
            self._notes.append(note)

    def _walk(self, part: Message, depth: int, want_text: bool) -> list[_Chunk]:
        self._parts += 1
        if self._parts > MAX_PARTS:
            self._note(f"more than {MAX_PARTS} MIME parts; the rest were skipped")
            return []
        if depth > MAX_DEPTH:
            self._note(f"MIME parts nested deeper than {MAX_DEPTH} were skipped")
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
        except Exception as exc:  # One unreadable part must not cost the rest of the message.
            self._note(f"a {ctype} part could not be read ({type(exc).__name__}: {str(exc)[:120]})")
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
        inner = part.get_payload(0)
        chunks = self._walk(inner, depth + 1, want_text)
        if not want_text:
            return []
        headers = _Headers(inner, _charset_hint(inner), [])
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
        data = part.get_payload(decode=True) or b""
        declared = part.get_content_charset()
        if ctype == "text/html" and not declared:
            meta = re.search(rb"<meta[^>]+charset=[\"']?([\w.:-]+)", data[:4096], re.I)
            declared = meta.group(1).decode("ascii") if meta else None
        text, note = decode_bytes(data, declared)
        notes = [f"{ctype} part: {note}"] if note else []
        if ctype == "text/html":
            text = self._html_text(text, notes)
        return [_Chunk(_clean_text(text), "html" if ctype == "text/html" else "plain", notes)]

    def _html_text(self, html: str, notes: list[str]) -> str:
        if len(html) > MAX_HTML_CHARS:
            notes.append(f"HTML part cut at {MAX_HTML_CHARS} characters before conversion")
            html = html[:MAX_HTML_CHARS]
        try:
            return html_to_text(html)
        except Exception as exc:  # A pathological document still yields its words, without layout.
            notes.append(f"HTML could not be laid out ({type(exc).__name__}); tags stripped instead")
            return re.sub(r"<[^>]*>", " ", html)

    def _attach(self, part: Message, ctype: str) -> None:
        number = len(self.attachments) + 1
        data = _part_bytes(part)
        name = _filename(part, number)
        size = len(data)
        if size > self._max_attachment_bytes:
            self._note(f"attachment {name!r} ({size} bytes) is over the {self._max_attachment_bytes}-byte limit; not kept")
            data = None
        self.attachments.append(Attachment(filename=name, content_type=ctype, data=data, size=size))


def _part_bytes(part: Message) -> bytes:
    """The decoded content of a leaf part; for message/* parts, the enclosed message(s) as bytes."""
    if part.is_multipart():
        return b"".join(p.as_bytes() for p in part.get_payload() if isinstance(p, Message))
    return part.get_payload(decode=True) or b""


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
    scratch[header] = _to_bytes(re.sub(r"\r?\n(?=[ \t])", "", raw)).decode("latin-1")
    return scratch.get_param(name, None, header)


def sanitize_filename(name: str) -> str:
    """Keep the last path component, drop control and bidi-override characters, cap the length."""
    name = re.split(r"[/\\]", name)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch) not in ("Cc", "Cf", "Zl", "Zp"))
    name = " ".join(name.split()).strip(". ")
    if len(name) > MAX_FILENAME_CHARS:
        stem, dot, ext = name.rpartition(".")
        ext = ext if dot and len(ext) <= 16 else ""
        name = name[: MAX_FILENAME_CHARS - len(ext) - 1].rstrip() + ("." + ext if ext else "")
        name = name[:MAX_FILENAME_CHARS]
    return name


def _clean_text(text: str) -> str:
    """Unify line ends and drop control characters (databases refuse NUL) and lone surrogates."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff")
    text = _C1_CONTROL.sub("", _CONTROL.sub("", text))  # C1 codes only appear as mojibake.
    return text.encode("utf-8", "replace").decode("utf-8")


# ---------------------------------------------------------------- HTML

# Paragraph-like blocks end with a blank line, line-like ones with a line break.
_PARAGRAPH_TAGS = {"p", "table", "ul", "ol", "pre", "hr", "h1", "h2", "h3", "h4", "h5", "h6",
                   "section", "article", "header", "footer", "address", "center", "dl"}
_LINE_TAGS = {"div", "li", "tr", "dd", "dt"}
_DROPPED_TAGS = {"script", "style", "head", "title", "noscript", "template", "iframe", "object", "svg"}
# Marks written while walking and resolved afterwards (private-use characters).
_SOFT, _PARA, _QUOTE_OPEN, _QUOTE_CLOSE = "\ue000", "\ue001", "\ue002", "\ue003"
_BREAK_RUN = re.compile(r"[ \t]*[\n\ue000\ue001][\n\ue000\ue001 \t]*")


def html_to_text(html: str) -> str:
    """Readable text from HTML: no scripts or styles, line breaks where blocks end, quotes as "> "."""
    pieces = _html_pieces(BeautifulSoup(html, "html.parser"))
    blocks: list[tuple[int, str]] = []  # (quote depth shown, text)
    depth = size = 0
    for piece in re.split(f"([{_QUOTE_OPEN}{_QUOTE_CLOSE}])", "".join(pieces)):
        if piece in (_QUOTE_OPEN, _QUOTE_CLOSE):
            depth = depth + 1 if piece == _QUOTE_OPEN else max(0, depth - 1)
        elif size <= MAX_TEXT_CHARS and (text := _layout(piece)):
            # Deeper quote marks add nothing readable and would multiply the text's size.
            shown = min(depth, MAX_QUOTE_MARKS)
            blocks.append((shown, "\n".join(("> " * shown + line).rstrip() for line in text.split("\n"))))
            size += len(blocks[-1][1])
    out = [blocks[0][1]] if blocks else []
    for (before, _), (after, text) in zip(blocks, blocks[1:]):
        out.append("\n" + ("> " * min(before, after)).rstrip() + "\n" + text)
    return "".join(out)


def _html_pieces(soup: BeautifulSoup) -> list[str]:
    """Text and break marks in document order.

    An explicit stack instead of recursion or tree edits: deeply nested mail
    (100,000 <div>s) must cost linear time, not exhaust the stack.
    """
    pieces: list[str] = []
    stack: list[tuple[object, str | None]] = [(soup, None)]
    in_pre = 0
    while stack:
        node, closing = stack.pop()
        if closing is not None:
            in_pre -= closing == "pre"
            pieces.append(_close_mark(closing))
        elif isinstance(node, Tag):
            if node.name in _DROPPED_TAGS:
                continue
            if node.name == "br":
                pieces.append("\n")
                continue
            in_pre += node.name == "pre"
            pieces.append(_open_mark(node.name))
            stack.append((node, node.name))
            stack.extend((child, None) for child in reversed(node.contents))
        elif type(node) in (NavigableString, CData):  # Not comments, doctypes or declarations.
            # Source line breaks are plain spaces in HTML; <pre> is the exception.
            text = re.sub("[\ue000-\ue003]", "", str(node))  # Our marks must not come from the sender.
            pieces.append(text if in_pre else re.sub(r"[ \t\r\n\f\xa0]+", " ", text))
    return pieces


def _open_mark(name: str) -> str:
    return _PARA if name in _PARAGRAPH_TAGS else _SOFT if name in _LINE_TAGS else (
        _QUOTE_OPEN if name == "blockquote" else "")


def _close_mark(name: str) -> str:
    return _PARA if name in _PARAGRAPH_TAGS else _SOFT if name in _LINE_TAGS else (
        _QUOTE_CLOSE if name == "blockquote" else " " if name in ("td", "th") else "")


def _layout(text: str) -> str:
    """Resolve break marks: a paragraph mark or two line breaks give a blank line, else one break."""
    def line_break(match: re.Match) -> str:
        run = match.group(0)
        return "\n\n" if _PARA in run or run.count("\n") >= 2 else "\n"
    text = _BREAK_RUN.sub(line_break, text)
    return "\n".join(line.strip() for line in text.split("\n")).strip()


# ---------------------------------------------------------------- quoted replies

_ATTRIBUTION = re.compile(r"^(On\b.{0,300}\bwrote:|.{0,200}(写道|寫道)[:：])\s*$", re.I | re.S)
_SEPARATORS = re.compile(
    r"^\s*(-{2,}\s*(Original Message|Forwarded by .*)\s*-{2,}|-{3,}\s*原始(邮件|郵件)\s*-{3,}"
    r"|_{10,})\s*$", re.I)
_OUTLOOK_FROM = re.compile(r"^\s*(From|发件人|發件人|寄件者)\s*[:：]", re.I)
_OUTLOOK_NEXT = re.compile(r"^\s*(Sent|Date|发送时间|發送時間|日期|寄件日期|To|收件人)\s*[:：]", re.I)


def strip_quoted(text: str) -> str:
    """Remove the quoted history at the end of a reply, for classification only.

    Cuts at a separator ("-----Original Message-----", "--- 原始邮件 ---", an
    Outlook "From:/Sent:" block), or at an attribution line ("On ... wrote:",
    "在 ... 写道：") when only ">" lines follow it, or before a trailing block of
    ">" lines. When nothing would be left, the text is returned unchanged, so a
    classifier never gets less than the message had.
    """
    lines = text.replace("\r\n", "\n").split("\n")
    cut = _separator_index(lines)
    lines = lines[:cut]
    end = len(lines)
    while end and (not lines[end - 1].strip() or lines[end - 1].lstrip().startswith(">")):
        end -= 1
    if end < len(lines) and any(l.strip() for l in lines[end:]):
        lines = lines[:end]
        for span in (1, 2):  # An attribution can be wrapped onto a second line.
            if len(lines) >= span and _ATTRIBUTION.match(" ".join(l.strip() for l in lines[-span:])):
                lines = lines[:-span]
                break
    result = "\n".join(lines).strip()
    return result if result else text.strip()


def _separator_index(lines: list[str]) -> int:
    """Index of the first line that starts top-posted history, or len(lines)."""
    for i, line in enumerate(lines):
        if _SEPARATORS.match(line):
            return i
        if _OUTLOOK_FROM.match(line) and any(_OUTLOOK_NEXT.match(l) for l in lines[i + 1:i + 4]):
            return i
        # An attribution followed by unquoted text is top-posted history (HTML mail loses the ">").
        for span in (1, 2):
            attribution = " ".join(l.strip() for l in lines[i:i + span])
            rest = [l for l in lines[i + span:] if l.strip()]
            if _ATTRIBUTION.match(attribution) and rest and not rest[0].lstrip().startswith(">"):
                return i
    return len(lines)
