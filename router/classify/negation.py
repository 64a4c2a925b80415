"""Decide whether a rule match is negated: "not hacked", "没有被盗", "I did NOT lose it".

A cue negates a match when it stands just before it, in the same clause: at most
`window` words between them for Latin-script cues, `window` characters for Chinese
ones.  A cue further away usually belongs to another verb ("I don't know how they
hacked me"), so the window is short on purpose.  Hypothetical cues ("what if my
phone is stolen", "万一被盗") reach a little further, `hypothetical_window`: a
feared event is not an event.  "A-not-A" questions (是不是, 有没有, 会不会) ask,
they do not deny.
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from router.classify.config import NegationSpec

# Where a clause ends: a negation before one of these does not reach past it.
# The greedy ".*" makes one match find the last break.
_LAST_BREAK = re.compile(r"(?s:.*)(?:[,.;:!?\n，。；：！？、]|\bbut\b|\bhowever\b|但是|可是|不过|然而)")
_LATIN_WORD = re.compile(r"[a-z']+")
_LOOK_BACK = 40   # characters before a match that can hold its cue


@dataclass(frozen=True, slots=True)
class _Cues:
    """One set of cues and how far they reach."""
    words: frozenset[str]          # Latin-script cues
    suffixes: tuple[str, ...]      # "n't" ends "didn't"
    chinese: tuple[str, ...]       # longest first
    window: int

    @classmethod
    def of(cls, cues: Iterable[str], window: int) -> _Cues:
        cues = set(cues)
        latin = {c for c in cues if c.isascii()}
        return cls(frozenset(c for c in latin if not c.startswith("n'")),
                   tuple(sorted(c for c in latin if c.startswith("n'"))),
                   tuple(sorted(cues - latin, key=lambda c: (-len(c), c))), window)

    def latin_cue(self, words: list[str]) -> str | None:
        for word in words[-(self.window + 1):]:
            if word in self.words or (self.suffixes and word.endswith(self.suffixes)):
                return word
        return None

    def chinese_cue(self, tail: str) -> str | None:
        # Only the last (window + longest cue) characters can hold a cue, and one
        # more tells an A-not-A question.
        tail = tail[-(self.window + (len(self.chinese[0]) if self.chinese else 0) + 1):]
        for cue in self.chinese:
            at = tail.rfind(cue)
            if at >= 0 and len(tail) - (at + len(cue)) <= self.window and not _a_not_a(tail, at):
                return cue
        return None


class Negator:
    """The negation cues of every language, compiled once."""

    def __init__(self, specs: dict[str, NegationSpec]) -> None:
        self._sets = {language: (_Cues.of(spec.cues, spec.window),
                                 _Cues.of(spec.hypothetical, spec.hypothetical_window))
                      for language, spec in specs.items()}
        # Rules of no particular language ("any") hear every language's cues.
        every = list(specs.values())
        self._sets["any"] = (
            _Cues.of((c for s in every for c in s.cues), max((s.window for s in every), default=0)),
            _Cues.of((c for s in every for c in s.hypothetical), max((s.hypothetical_window for s in every),
                                                                      default=0)))

    def cue_before(self, text: str, start: int, language: str) -> str | None:
        """The cue that negates the match beginning at `start`, or None."""
        before = text[max(0, start - _LOOK_BACK):start]
        last_break = _LAST_BREAK.match(before)
        if last_break:
            before = before[last_break.end():]
        if not before.strip():
            return None
        words = _LATIN_WORD.findall(before)
        tail = None if before.isascii() else before.rstrip()
        for cues in self._sets.get(language, self._sets["any"]):
            cue = cues.latin_cue(words) or (cues.chinese_cue(tail) if tail else None)
            if cue is not None:
                return cue
        return None


def _a_not_a(text: str, at: int) -> bool:
    """Whether the negator at `at` is the middle of an "A-not-A" question (是不是,
    有没有, 会不会): those ask, they do not deny ("是不是被盗了" fears a theft)."""
    if at == 0 or text[at] not in "不没" or at + 1 >= len(text):
        return False
    return text[at - 1] == text[at + 1]
