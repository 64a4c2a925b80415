"""Turn a normalised message into the feature strings the triage model counts.

Chinese: character 1- to 3-grams within each run of Han characters (no word
segmentation needed, robust to typos).  Latin script: words, word pairs and
character 3-grams of words (for informal spelling).  Hashes, addresses and numbers
become placeholders, so the model learns "a txid was given", not one txid.
Punctuation and emoji count as themselves; the channel is one feature.
"""
from __future__ import annotations

import re

_TOKEN = re.compile(
    r"(?P<secret>\[redacted:[a-z_]+\])"
    r"|(?P<id>\b(?=[a-z0-9]*\d)(?=[a-z0-9]*[a-z])[a-z0-9]{20,}\b)"   # hashes, addresses
    r"|(?P<num>\d+(?:[.,]\d+)*)"
    r"|(?P<word>[a-z]+(?:'[a-z]+)?)"
    r"|(?P<han>[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+)"
    r"|(?P<mark>[^\sa-z0-9])"
)


def features(text: str, channel: str = "") -> list[str]:
    """Feature strings of normalised `text` (repeats count)."""
    out: list[str] = [f"ch:{channel}"] if channel else []
    append = out.append
    previous = None           # the previous Latin word, for word pairs
    for m in _TOKEN.finditer(text):
        kind, token = m.lastgroup, m.group()
        if kind == "word":
            append("w:" + token)
            if previous is not None:
                append(f"b:{previous} {token}")
            previous = token
            padded = f" {token} "
            out.extend("g:" + padded[i:i + 3] for i in range(len(padded) - 2))
            continue
        previous = None
        if kind == "han":
            n = len(token)
            out.extend("c:" + token[i:i + k] for k in (1, 2, 3) for i in range(n - k + 1))
        elif kind == "num":
            append("n:num")
        elif kind == "id":
            append("n:id")
        elif kind == "secret":
            append("s:" + token)
        else:
            append("p:" + token)
    return out
