"""The triage rules, compiled: find which rules a message matches and what they score.

All keywords of all rules, and literal anchors of all patterns, go into one
Aho-Corasick automaton (pyahocorasick), so a message is scanned once, in linear
time, for all of them; a pattern then runs only when one of its anchors
occurred.  Each rule counts once per message, and so does each rule family (the
same label and name in several languages); a match preceded by a negation cue
does not count.  `get_rules()` loads config/triage.toml once and
caches the result.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple

import ahocorasick

from router.classify.anchors import anchors
from router.classify.config import RuleSpec, TriageConfig, load_config
from router.classify.negation import Negator


class Hit(NamedTuple):      # a tuple: made for every rule that matches, so cheap to make
    rule: RuleSpec
    matched: str

    def reason(self) -> str:
        return f"rule {self.rule.key} matched '{self.matched}' (+{self.rule.weight:g})"


@dataclass(slots=True)
class RuleMatches:
    """What the rules found in one message."""
    category: dict[str, float] = field(default_factory=dict)   # category -> total weight
    category_hits: list[Hit] = field(default_factory=list)
    urgency_hits: list[Hit] = field(default_factory=list)      # filtered by category later
    negated: list[str] = field(default_factory=list)           # "negated: 'not hacked'"
    _by_category: dict = field(default_factory=dict, repr=False, compare=False)

    def urgency(self, category: str) -> tuple[dict[str, float], list[Hit]]:
        """Urgency totals from the rules that apply to `category`, and those rules' hits
        (worked out once per category: the evidence, the verdict and the reasons all
        ask; the same objects come back each time, so callers only read them)."""
        found = self._by_category.get(category)
        if found is None:
            totals: dict[str, float] = {}
            hits = [h for h in self.urgency_hits if h.rule.categories is None or category in h.rule.categories]
            for hit in hits:
                totals[hit.rule.label] = totals.get(hit.rule.label, 0.0) + hit.rule.weight
            found = self._by_category[category] = (totals, hits)
        return found


_WORD_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")


class RuleSet:
    """Compiled rules plus the configuration they came from."""

    def __init__(self, config: TriageConfig) -> None:
        self.config = config
        self.negator = Negator(config.negation)
        self._category_labels = frozenset(config.categories)
        self._family = {rule.key: (rule.label, rule.key.rsplit(".", 1)[-1]) for rule in config.rules}
        # keyword -> [(rule, is_stem)]; anchor -> patterns that need it (see anchors.py)
        self._keywords: dict[str, list[tuple[RuleSpec, bool]]] = {}
        for rule in config.rules:
            for keyword in rule.keywords:
                self._keywords.setdefault(keyword.rstrip("*"), []).append((rule, keyword.endswith("*")))
        self._patterns = [(rule, pattern) for rule in config.rules for pattern in rule.patterns]
        # A category rule and its urgency twin, or two rules written with the same
        # pattern, run it once per message: the spans are kept for the second.
        uses = Counter(pattern.pattern for _, pattern in self._patterns)
        self._shared = frozenset(i for i, (_, pattern) in enumerate(self._patterns) if uses[pattern.pattern] > 1)
        self._anchored: dict[str, list[int]] = {}
        self._always: list[int] = []
        for i, (_, pattern) in enumerate(self._patterns):
            found = anchors(pattern)
            for anchor in found or ():
                self._anchored.setdefault(anchor, []).append(i)
            if not found:
                self._always.append(i)
        # Per string: the patterns it anchors, the keyword entries it is, and whether
        # its ends are word characters (a keyword next to a letter must sit on a
        # word boundary there).
        self._entries = {w: (self._anchored.get(w), self._keywords.get(w), w[0] in _WORD_CHARS, w[-1] in _WORD_CHARS)
                         for w in set(self._keywords) | set(self._anchored)}
        self._automaton = ahocorasick.Automaton()
        for word in self._entries:
            self._automaton.add_word(word, (len(word), word))
        if self._entries:
            self._automaton.make_automaton()

    def match(self, text: str) -> RuleMatches:
        """Score normalised `text` against every rule."""
        found: dict[str, Hit] = {}
        negated: dict[str, str] = {}
        cues: dict[tuple[int, str], str | None] = {}     # (start, language) -> cue: rules share matches
        to_run = self._scan(text, found, negated, cues)
        spans: dict[str, list[tuple[int, int]]] = {}
        for i in sorted(to_run):
            rule, pattern = self._patterns[i]
            if rule.key in found:
                continue
            if i in self._shared:
                if pattern.pattern not in spans:
                    spans[pattern.pattern] = [m.span() for m in pattern.finditer(text)]
                for start, end in spans[pattern.pattern]:
                    if self._record(rule, text, start, end, found, negated, cues):
                        break
                continue
            for m in pattern.finditer(text):
                if self._record(rule, text, m.start(), m.end(), found, negated, cues):
                    break
        result = RuleMatches(negated=[f"negated: '{cue}'" for cue in
                                      sorted({v for k, v in negated.items() if k not in found})])
        best: dict[tuple[str, str], Hit] = {}
        for hit in found.values():
            # One hit per rule family: zh.account.kyc and en.account.kyc are one idea
            # written twice, and "KYC" in a Chinese message matches both.
            family = self._family[hit.rule.key]
            if family not in best or hit.rule.weight > best[family].rule.weight:
                best[family] = hit
        for hit in best.values():
            if hit.rule.label in self._category_labels:
                result.category[hit.rule.label] = result.category.get(hit.rule.label, 0.0) + hit.rule.weight
                result.category_hits.append(hit)
            else:
                result.urgency_hits.append(hit)
        return result

    def _scan(self, text: str, found: dict, negated: dict, cues: dict) -> set[int]:
        """Record keyword hits; return the patterns worth running (their anchors occur)."""
        to_run = set(self._always)
        if not self._entries:
            return to_run
        # Every occurrence of every string, by start and longest first at a start:
        # the order a reader meets them, so the first match of a rule is reported.
        hits = sorted((end - size + 1, -size, word) for end, (size, word) in self._automaton.iter(text))
        entries, record, word_chars, length = self._entries, self._record, _WORD_CHARS, len(text)
        for start, minus_size, word in hits:
            patterns, keywords, first_is_letter, last_is_letter = entries[word]
            if patterns:
                to_run.update(patterns)
            if keywords is None or (first_is_letter and start and text[start - 1] in word_chars):
                continue
            end = start - minus_size
            closed = end == length or not last_is_letter or text[end] not in word_chars
            for rule, stem in keywords:
                if (closed or stem) and rule.key not in found:
                    record(rule, text, start, end, found, negated, cues)
        return to_run

    def _record(self, rule: RuleSpec, text: str, start: int, end: int, found: dict, negated: dict,
                cues: dict) -> bool:
        if rule.negatable:
            key = (start, rule.language)
            if key not in cues:
                cues[key] = self.negator.cue_before(text, start, rule.language)
            cue = cues[key]
            if cue is not None:
                negated.setdefault(rule.key, f"{cue} {text[start:end]}" if cue.isascii() else cue + text[start:end])
                return False
        found[rule.key] = Hit(rule, text[start:end])
        return True


@lru_cache(maxsize=8)
def _cached(path: Path | None) -> RuleSet:
    return RuleSet(load_config(path))


def get_rules(path: str | Path | None = None) -> RuleSet:
    """The compiled rules of `path` (default: config/triage.toml), loaded once."""
    return _cached(Path(path).resolve() if path is not None else None)
