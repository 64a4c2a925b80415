"""Turn a normalised message into the feature strings the triage model counts.

Chinese: character 1- to 3-grams within each run of Han characters (no word
segmentation needed, robust to typos).  Latin script: words and pairs of
adjacent words.  Hashes, addresses and numbers become placeholders, so the model
learns "a txid was given", not one txid.  Punctuation and emoji count as
themselves; the channel is one feature.

Words, word pairs and n-grams are their own feature strings (a pair has a space
in it, Han and Latin never collide); the few other kinds start with "#".  Each
kind of token is found with one regular expression over the whole text rather
than token by token: this runs for every message, so speed matters.
"""
from __future__ import annotations

import re
from itertools import pairwise

_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_SECRET = re.compile(r"\[redacted:[a-z_]+\]")
_DIGIT = re.compile(r"\d")
# Each pattern starts with one character class, not a repeat or a \b: then the
# engine skips ahead to where that class occurs instead of trying every position.
# "x(?<!\wx)" is "\bx" for a word character x.
_ID = re.compile(r"[a-z0-9](?<!\w[a-z0-9])[a-z0-9]{19,}\b")   # hashes, addresses (the text has a digit)
_NUMBER = re.compile(r"\d\d*(?:[.,]\d+)*")
# Words that follow each other with one space between form a run; anything else
# (a number, punctuation, a Han character) ends it, and with it the word pairs.
_WORD_RUN = re.compile(r"[a-z][a-z]*(?:'[a-z]+)?(?: [a-z]+(?:'[a-z]+)?)*")
_HAN_RUN = re.compile(f"[{_HAN}][{_HAN}]*")
_MARK = re.compile(f"[^\\sa-z0-9'{_HAN}]")


def features(text: str, channel: str = "") -> list[str]:
    """Feature strings of normalised `text` (repeats count)."""
    out: list[str] = [f"#channel:{channel}"] if channel else []
    if "[redacted:" in text:
        out += ["#" + token for token in _SECRET.findall(text)]
        text = _SECRET.sub(" ", text)
    if _DIGIT.search(text):
        text, ids = _ID.subn(" ", text)
        text, numbers = _NUMBER.subn(" ", text)
        out += ["#id"] * ids + ["#number"] * numbers
    for run in _WORD_RUN.findall(text):
        words = run.split(" ")
        out += words
        out += [f"{a} {b}" for a, b in pairwise(words)]
    if not text.isascii():
        for run in _HAN_RUN.findall(text):
            out += run
            out += [run[i:i + 2] for i in range(len(run) - 1)]
            out += [run[i:i + 3] for i in range(len(run) - 2)]
    out += _MARK.findall(text)
    return out


def readable(feature: str) -> bool:
    """Whether an agent can read `feature` as a word: not a mark or a placeholder."""
    return feature[0].isalnum()
