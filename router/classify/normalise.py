"""Normalise a message for triage: one canonical form that rules and model both read.

Full-width forms become ASCII (NFKC), traditional Chinese becomes simplified,
curly quotes become straight ones, letters become lower case and runs of white
space one space.  A decimal point inside a number is dropped ("0.5 eth" becomes
"05 eth"): the rules' patterns read a full stop as the end of a sentence, and an
amount is not one.  The result is for matching only; nobody reads it.
"""
from __future__ import annotations

import re
import unicodedata

from router.classify.hanzi import TO_SIMPLIFIED

_TABLE: dict[int, str | None] = dict(TO_SIMPLIFIED)
_TABLE.update({ord("\u2019"): "'", ord("\u2018"): "'", ord("\u201c"): '"', ord("\u201d"): '"',
               ord("\u200b"): None, ord("\u200c"): None, ord("\u200d"): None, ord("\ufeff"): None,
               ord("\u3000"): " ",
               # 帐 is written for 账 as often as not ("到帐", "转帐"): one spelling for the rules.
               ord("帐"): "账"})
# Most Chinese messages are written in simplified characters with plain quotes:
# one scan for any character the table changes spares a dictionary lookup per
# character.
_DECIMAL_POINT = re.compile(r"(?<=\d)\.(?=\d)")
_CHANGED = re.compile("[" + "".join(sorted(re.escape(chr(code)) for code in _TABLE)) + "]")


def normalise(text: str) -> str:
    """The matching form of `text`."""
    if not text.isascii():
        text = unicodedata.normalize("NFKC", text)
        if _CHANGED.search(text):
            text = text.translate(_TABLE)
    # split() and strip() take the same characters for white space as the regex \s.
    text = " ".join(text.lower().split())
    return _DECIMAL_POINT.sub("", text) if "." in text else text


def join_subject(subject: str, text: str) -> str:
    """Subject and body as one text; the subject is often the clearest sentence."""
    return f"{subject}\n{text}" if subject else text
