"""Header values from raw bytes: RFC 2047 encoded words in any charset, undeclared
8-bit headers guessed from the message's own charset, malformed ones noted."""
from __future__ import annotations

import base64
import binascii
import re
from email.message import Message

from channels.email.charsets import CONTROL, decode_bytes

_ENCODED_WORD = re.compile(rb"=\?([^?\s]+)\?([bBqQ])\?([^?\s]*)\?=")


class Headers:
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
                # Only ASCII blanks are trimmed: in this one-char-per-byte view str.strip()
                # would also take 0x85 and 0xA0, the last byte of many UTF-8 characters.
                return CONTROL.sub("", to_bytes(unfolded).decode("latin-1").replace("\t", " ")).strip(" \n")
        return ""

    def unicode(self, name: str) -> str:
        """The first value as Unicode text with its encoded words still as written, for
        reading its structure (addresses): UTF-8 as RFC 6532 allows, else the message's
        charset, guessed and noted. Never the one-char-per-byte view, in which the 0x85
        inside 公 (e5 85 ac) is a line break to str.split() and to a regex's \\s."""
        data = self.raw(name).encode("latin-1")
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            text, note = decode_bytes(data, None, self._hint)
            self._notes.extend([f"header {name}: {note}"] if note else [])
            return CONTROL.sub("", text)

    def text(self, name: str) -> str:
        """The first value as readable text; guesses are noted under the header's name."""
        return self.decode(self.raw(name), name)

    def decode(self, latin1_text: str, name: str) -> str:
        """Decode a piece of a header value taken from `raw`, noting guesses under `name`."""
        text, notes = decode_header_value(latin1_text.encode("latin-1"), self._hint)
        self._notes.extend(f"header {name}: {note}" for note in notes)
        return text


def to_bytes(value: str) -> bytes:
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
    return CONTROL.sub("", "".join(out).replace("\t", " ")), notes


def _encoded_word_bytes(encoding: bytes, payload: bytes) -> bytes | None:
    if encoding in (b"q", b"Q"):
        return binascii.a2b_qp(payload, header=True)
    try:
        return base64.b64decode(payload + b"=" * (-len(payload) % 4))
    except (binascii.Error, ValueError):
        return None
