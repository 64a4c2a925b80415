"""Attachments redacted like the body, or not kept: the desk's policy for files it cannot read.

Every file that reads as text is redacted, whatever its declared type (text, JSON, CSV,
HTML, an octet-stream or an "image" that is really text) and whatever its charset: the
declared one, a byte-order mark, UTF-8, or what `charset-normalizer` detects. A redacted
file is written back in the charset it came in, so it opens as the customer sent it; only
when that charset cannot hold the result is it written as UTF-8 (and a note says so).
A file that does not read as text is kept only as the desk's `attachments.unreadable`
allows; otherwise its name, type and size stay, without data, with a note.
"""
from __future__ import annotations

import codecs
import hashlib
import html
import re
from dataclasses import dataclass, field
from typing import Any

from charset_normalizer import from_bytes

from channels.base import Attachment
from channels.email.charsets import codecs_for
from router.secrets.redact import redact
from router.secrets.redact_tokens import safe_filename

_BOMS = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"), (codecs.BOM_UTF8, "utf-8-sig"),
         (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))
_BINARY_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1a\x1c-\x1f\x7f]")
_MAX_CONTROL_SHARE = 0.01  # text files hold hardly any control characters; binary formats many
_DETECT_BYTES = 200_000
_DETECTED = 4  # readings the detector proposes that are tried
# Views in which a secret can hide from a reading of the raw text: markup between its
# words, and character escapes (HTML entities, JSON's \uXXXX).
_TAG = re.compile(r"<[^<>]{0,2000}>")
_JSON_ESCAPE = re.compile(r"\\u([0-9a-fA-F]{4})")
_MIME_TYPES = ("message/", "multipart/")  # MIME inside: its text is transfer-encoded


@dataclass
class Kept:
    """One attachment as it will be stored, the secret kinds found and notes for agents."""

    row: dict[str, Any]
    kinds: tuple[str, ...] = ()
    notes: list[str] = field(default_factory=list)


def _looks_like_text(text: str) -> bool:
    return len(_BINARY_CONTROL.findall(text[:100_000])) <= _MAX_CONTROL_SHARE * min(len(text), 100_000)


def _candidates(data: bytes, charset: str) -> list[str]:
    found = [codec for bom, codec in _BOMS if data.startswith(bom)][:1]
    found += [*codecs_for(charset), "utf-8"]
    sample = data[:4096]
    if len(sample) >= 4 and sample.count(0) * 4 >= len(sample):  # UTF-16 without a mark
        found.append("utf-16-le" if sample[1::2].count(0) > sample[0::2].count(0) else "utf-16-be")
    # Detection can be wrong on a short text (GB18030 taken for Shift-JIS), and a secret is
    # only visible in the right charset: every likely reading is tried, not only the best,
    # and GB18030, the likeliest legacy charset of this desk's mail, always.
    found += [codec for match in list(from_bytes(data[:_DETECT_BYTES]))[:_DETECTED]
              for codec in codecs_for(match.encoding)]
    return list(dict.fromkeys([*found, "gb18030"]))


def readings(data: bytes, charset: str = "") -> list[tuple[str, str]]:
    """Every reading of the file as text, as (text, codec), the likeliest first; [] for
    a file that is not text."""
    found: dict[str, str] = {}  # text -> codec: readings that agree are redacted once
    for codec in _candidates(data, charset):
        try:
            text = data.decode(codec)
        except (UnicodeDecodeError, LookupError):
            continue
        if _looks_like_text(text):
            found.setdefault(text, codec)
    return list(found.items())


def _unescaped(text: str) -> str:
    return _JSON_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), html.unescape(text))


def redact_text(text: str) -> tuple[str, tuple[str, ...], bool]:
    """The text redacted in every view, the kinds found, and whether the result is a view
    (markup or escapes read) rather than the text as written."""
    result = redact(text)
    text, kinds, as_read = result.text, list(result.kinds), False
    for view in (_unescaped, lambda t: _TAG.sub(" ", _unescaped(t)), lambda t: _TAG.sub("", _unescaped(t))):
        viewed = view(text)
        if viewed == text:
            continue
        seen = redact(viewed)
        if seen.kinds:
            text, as_read = seen.text, True
            kinds += [k for k in seen.kinds if k not in kinds]
    return text, tuple(kinds), as_read


def _encoded(text: str, codec: str, original: bytes) -> tuple[bytes, str]:
    if codec == "utf-8-sig" and not original.startswith(codecs.BOM_UTF8):
        codec = "utf-8"  # the codec that reads a mark when there is one writes one always
    try:
        return text.encode(codec), codec
    except (UnicodeEncodeError, LookupError):
        return text.encode("utf-8"), "utf-8"


def keep_attachment(att: Attachment, policy: str) -> Kept:
    """The attachment's row (without message_id): redacted, kept as it came, or without data."""
    filename, kinds = safe_filename(att.filename)
    row = {"filename": filename, "content_type": att.content_type, "size": att.size, "data": None, "sha256": ""}
    kept = Kept(row, kinds)
    if att.data is None:  # over the size limit: the parser already noted it
        return kept
    read = [] if att.content_type.startswith(_MIME_TYPES) else readings(att.data, att.charset)
    if not read:
        if policy == "keep" or (policy == "keep_images" and att.content_type.startswith("image/")):
            row.update(data=att.data, sha256=hashlib.sha256(att.data).hexdigest())
        else:
            kept.notes.append(f"attachment {filename!r} ({att.content_type}, {att.size} bytes) not kept: it "
                              f"cannot be read for secrets (desk policy attachments.unreadable = {policy!r})")
        return kept
    data = att.data
    for _, codec in read:  # each reading in turn, on the bytes the one before left
        try:
            text = data.decode(codec)
        except UnicodeDecodeError:
            continue
        redacted, found, as_read = redact_text(text)
        if not found:
            continue
        data, used = _encoded(redacted, codec, data)
        kept.kinds = tuple(dict.fromkeys(kept.kinds + found))
        if used == "utf-8" and not codec.startswith("utf-8"):
            kept.notes.append(f"attachment {filename!r}: redacted and stored as UTF-8 (it was {codec})")
        if as_read:
            kept.notes.append(f"attachment {filename!r}: a secret hid in its markup or escapes; "
                              "it is stored as read, without them")
    row.update(data=data, size=len(data), sha256=hashlib.sha256(data).hexdigest())
    return kept
