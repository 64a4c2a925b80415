"""Decide whether a rule match is negated: "not hacked", "没有被盗", "I did NOT lose it".

A cue negates a match when it stands just before it, in the same clause: at most
`window` words between them for Latin-script cues, `window` characters for Chinese
ones.  A cue further away usually belongs to another verb ("I don't know how they
hacked me"), so the window is short on purpose.
"""
from __future__ import annotations

import re

from router.classify.config import NegationSpec

# Where a clause ends: a negation before one of these does not reach past it.
_CLAUSE_BREAK = re.compile(r"[,.;:!?\n，。；：！？、]|\bbut\b|\bhowever\b|但是|可是|不过|然而")
_LATIN_WORD = re.compile(r"[a-z']+")
_LOOK_BACK = 40   # characters before a match that can hold its cue


class Negator:
    """The negation cues of every language, compiled once."""

    def __init__(self, specs: dict[str, NegationSpec]) -> None:
        self._latin: dict[str, tuple[frozenset[str], tuple[str, ...], int]] = {}
        self._chinese: dict[str, tuple[tuple[str, ...], int]] = {}
        for language, spec in specs.items():
            latin = [c for c in spec.cues if c.isascii()]
            words = frozenset(c for c in latin if not c.startswith("n'"))
            suffixes = tuple(c for c in latin if c.startswith("n'"))   # "n't" ends "didn't"
            self._latin[language] = (words, suffixes, spec.window)
            self._chinese[language] = (tuple(c for c in spec.cues if not c.isascii()), spec.window)
        every = [spec for spec in self._latin.values()]
        self._latin["any"] = (frozenset().union(*(w for w, _, _ in every)) if every else frozenset(),
                              tuple({s for _, sx, _ in every for s in sx}),
                              max((w for _, _, w in every), default=0))
        self._chinese["any"] = (tuple({c for cues, _ in self._chinese.values() for c in cues}),
                                max((w for _, w in self._chinese.values()), default=0))

    def cue_before(self, text: str, start: int, language: str) -> str | None:
        """The cue that negates the match beginning at `start`, or None."""
        before = text[max(0, start - _LOOK_BACK):start]
        breaks = list(_CLAUSE_BREAK.finditer(before))
        if breaks:
            before = before[breaks[-1].end():]
        if not before.strip():
            return None
        return self._latin_cue(before, language) or self._chinese_cue(before, language)

    def _latin_cue(self, before: str, language: str) -> str | None:
        words, suffixes, window = self._latin.get(language, self._latin["any"])
        if not words and not suffixes:
            return None
        for word in _LATIN_WORD.findall(before)[-(window + 1):]:
            if word in words or word.endswith(suffixes):
                return word
        return None

    def _chinese_cue(self, before: str, language: str) -> str | None:
        cues, window = self._chinese.get(language, self._chinese["any"])
        tail = before.rstrip()
        for cue in cues:
            at = tail.rfind(cue)
            if at >= 0 and len(tail) - (at + len(cue)) <= window:
                return cue
        return None
