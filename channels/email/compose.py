"""Build the email for one `Outbound`: threading headers, auto-reply marks, a plain UTF-8 body.

`Template.render` writes the mail's bytes from a header block prepared once per sender;
`compose` builds the same mail as an EmailMessage and is the reference it is tested against.
"""
from __future__ import annotations

import base64
import binascii
import re
import uuid
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, parseaddr
from functools import lru_cache

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
    msg["Date"] = format_datetime(datetime.now(UTC))
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


# ---------------------------------------------------------------- prepared composition
#
# `compose` above assembles an EmailMessage field by field and lets the email package
# parse, re-render and fold every header: about a millisecond a mail. A desk sends the
# same From, the same MIME headers and the same marks on every mail, so `Template` folds
# those once and writes the per-message fields straight into bytes. The tests check that
# both parse back to the same headers and text.

_CRLF = b"\r\n"
_WORD_BYTES = 39  # UTF-8 bytes per encoded word: 52 base64 characters, a 64-character word
_MAX_LINE = 78  # RFC 5322's recommended line length
_AUTOMATIC = b"Auto-Submitted: auto-replied\r\nX-Auto-Response-Suppress: All\r\n"
_ASCII = bytes(range(128))
_BARE_ADDRESS = re.compile(r"[^\s<>()\[\]\\,;:\"@]+@[^\s<>()\[\]\\,;:\"@]+\Z")
_MIME = b'Content-Type: text/plain; charset="utf-8"\r\nContent-Transfer-Encoding: %s\r\nMIME-Version: 1.0\r\n'


class Template:
    """The prepared header block of one sender; `render(outbound)` gives the mail's bytes."""

    def __init__(self, from_addr: str, from_name: str = "") -> None:
        self.head = _folded("From", formataddr((" ".join(from_name.split()), from_addr)))
        self._date = (0, b"")

    def render(self, outbound: Outbound) -> bytes:
        """The wire form of `outbound` (CRLF, 7-bit); ValueError as `compose` raises it."""
        _check(outbound)
        parts = [self.head, _field("To", outbound.recipient.strip()),
                 _subject(" ".join(outbound.subject.split())), self._date_line(),
                 _field("Message-ID", outbound.message_id.strip())]
        if outbound.in_reply_to.strip():
            parts.append(_field("In-Reply-To", outbound.in_reply_to.strip()))
        references = trim_references(outbound.references, outbound.in_reply_to)
        if references:
            parts.append(_field("References", " ".join(references)))
        if outbound.automatic:
            parts.append(_AUTOMATIC)
        cte, body = _body(outbound.text)
        parts.append(_MIME % cte)
        if outbound.language.strip():
            parts.append(_field("Content-Language", outbound.language.strip()))
        parts += [_CRLF, body]
        return b"".join(parts)

    def _date_line(self) -> bytes:
        # One Date line a second: formatting it costs more than the rest of the header block.
        now = datetime.now(UTC)
        second = int(now.timestamp())
        if self._date[0] != second:
            self._date = (second, b"Date: %s\r\n" % format_datetime(now).encode())
        return self._date[1]


@lru_cache(maxsize=8)
def template(from_addr: str, from_name: str = "") -> Template:
    return Template(from_addr, from_name)


def _check(outbound: Outbound) -> None:
    if not outbound.message_id.strip():
        raise ValueError("outbound email needs a message_id (see new_message_id)")
    if "@" not in envelope_address(outbound.recipient) or _has_line_break(outbound.recipient):
        raise ValueError(f"not an email address: {outbound.recipient!r}")


def envelope_address(recipient: str) -> str:
    """The bare address of `recipient` for RCPT TO. A plain address (what the outbox holds)
    is its own; parsing one with email.utils costs a hundred microseconds."""
    recipient = recipient.strip()
    return recipient if _BARE_ADDRESS.match(recipient) else parseaddr(recipient)[1]


def _plain(value: str) -> bool:
    """Printable ASCII that no reader would take for an encoded word."""
    return value.isascii() and value.isprintable() and "=?" not in value


def _field(name: str, value: str) -> bytes:
    """A header whose value is usually plain ASCII (addresses, ids, a language tag): written
    as is, folded at spaces; anything else goes through the email package's own folding."""
    if not _plain(value):
        return _folded(name, value)
    words = value.split(" ")
    if max(map(len, words)) > 900:
        return _folded(name, value)
    return _fold(f"{name}:".encode(), [w.encode() for w in words if w])


def _folded(name: str, value: str) -> bytes:
    return _POLICY.header_factory(name, value).fold(policy=_POLICY).encode("ascii", "surrogateescape")


def _subject(subject: str) -> bytes:
    """Plain words stay readable; runs of other words become RFC 2047 encoded words."""
    pieces: list[bytes] = []
    run: list[str] = []
    for word in subject.split(" ") if subject else []:
        if _plain(word) and len(word) <= 76:
            if run:
                pieces += _encoded_words(" ".join(run))
                run = []
            pieces.append(word.encode())
        else:
            run.append(word)
    if run:
        pieces += _encoded_words(" ".join(run))
    return _fold(b"Subject:", pieces)


def _encoded_words(text: str) -> list[bytes]:
    """`text` as base64 UTF-8 encoded words, never splitting a character between two."""
    words: list[str] = []
    chunk: list[str] = []
    size = 0
    for char in text:
        width = len(char.encode("utf-8", "surrogatepass"))
        if size + width > _WORD_BYTES:
            words.append("".join(chunk))
            chunk, size = [], 0
        chunk.append(char)
        size += width
    words.append("".join(chunk))
    return [b"=?utf-8?b?" + base64.b64encode(w.encode("utf-8")) + b"?=" for w in words]


def _fold(head: bytes, pieces: list[bytes]) -> bytes:
    """`head` and the pieces separated by spaces, a new line before a piece that would overrun."""
    out, line = [head], len(head)
    for piece in pieces:
        if line + 1 + len(piece) > _MAX_LINE and line > len(head):
            out.append(b"\r\n " + piece)
            line = 1 + len(piece)
        else:
            out.append(b" " + piece)
            line += 1 + len(piece)
    out.append(_CRLF)
    return b"".join(out)


def _body(text: str) -> tuple[bytes, bytes]:
    """The body as `compose` encodes it: lines ended by CRLF, 7bit when that is plain short
    ASCII, else quoted-printable for mostly ASCII text and base64 for the rest."""
    lines = text.encode("utf-8").splitlines()
    data = _CRLF.join(lines) + _CRLF
    if data.isascii() and max(map(len, lines), default=0) <= _MAX_LINE:
        return b"7bit", data
    other = len(data.translate(None, _ASCII))  # the bytes quoted-printable writes as =XX
    if len(data) + 2 * other > len(data) * 4 // 3:
        encoded = base64.encodebytes(data).replace(b"\n", _CRLF)
        return b"base64", encoded
    return b"quoted-printable", binascii.b2a_qp(data, istext=True)
