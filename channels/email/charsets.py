"""Bytes to text for mail: declared charsets decoded with the superset codecs real mail
needs (GB2312 labels on GBK text, Big5 with HKSCS), undeclared ones detected."""
from __future__ import annotations

import codecs
import re

from charset_normalizer import from_bytes

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


def decode_bytes(data: bytes, declared: str | None, hint: str | None = None) -> tuple[str, str | None]:
    """Decode text bytes with the declared charset, guessing when it is missing or wrong.

    Returns the text and a note when a guess was made (None otherwise).
    """
    if not data:
        return "", None
    codecs_ = codecs_for(declared) if declared else ()
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


def codecs_for(name: str | None) -> tuple[str, ...]:
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
    candidates = ["utf-8", *codecs_for(hint)]
    # Detection needs some text to be right; on a few bytes it often picks an exotic codec.
    if sum(b > 0x7F for b in data[:4096]) >= 20:
        best = from_bytes(data[:100_000]).best()
        if best is not None:
            candidates.extend(codecs_for(best.encoding))
    candidates.append("gb18030")  # This desk's mail is mostly Chinese; GB18030 is the likeliest legacy charset.
    for codec in candidates:
        try:
            return data.decode(codec), codec
        except (UnicodeDecodeError, LookupError):
            continue
    return data.decode("latin-1", errors="replace"), "latin-1"


CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
C1_CONTROL = re.compile(r"[\x80-\x9f]")
def clean_text(text: str) -> str:
    """Unify line ends and drop control characters (databases refuse NUL) and lone surrogates."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff")
    text = C1_CONTROL.sub("", CONTROL.sub("", text))  # C1 codes only appear as mojibake.
    return text.encode("utf-8", "replace").decode("utf-8")
