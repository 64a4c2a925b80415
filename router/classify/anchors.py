"""Find literal anchors of a regular expression: strings one of which every match contains.

The rule scanner looks for all keywords in one pass; if it also looks for each
pattern's anchors, it only needs to run the patterns whose anchors it saw, which
is most of the cost of matching saved.  A pattern without usable anchors (none at
least two characters long, or one Chinese character) simply runs on every message.
"""
from __future__ import annotations

import re
from itertools import product

# The regex parser's own modules: sre_constants and sre_parse until Python 3.11, which
# still import but warn. typeshed leaves the private names out, hence the ignores.
from re import _constants as constants  # type: ignore[attr-defined]
from re import _parser as parser  # type: ignore[attr-defined]

MAX_ALTERNATIVES = 64    # more strings than this is not worth it as a filter
MIN_LENGTH = 2           # one Latin letter occurs in nearly every message; one Han character does not
_ZERO_WIDTH = {constants.AT}     # \b, ^, $: transparent between literals


def anchors(pattern: re.Pattern) -> frozenset[str] | None:
    """Strings one of which every match of `pattern` contains, or None if none found."""
    if pattern.flags & re.IGNORECASE:
        return None
    try:
        tree = parser.parse(pattern.pattern, pattern.flags)
    except re.error:        # pragma: no cover - the pattern compiled already
        return None
    items = list(tree)
    if items and items[0] == (constants.AT, constants.AT_BEGINNING) and not pattern.flags & re.MULTILINE:
        return None     # tried at the start of the text only: cheaper to run than to anchor
    best = _best(items)
    if best is None or any(len(a) < MIN_LENGTH and a.isascii() for a in best):
        return None
    return frozenset(best)


def _strength(anchor_set: set[str]) -> tuple[int, int, int]:
    """Longer anchors filter better; Han characters count double; fewer is better."""
    return (min(len(a) * (1 if a.isascii() else 2) for a in anchor_set), -len(anchor_set), 0)


def _best(items: list) -> set[str] | None:
    """The best anchor set of a sequence: the longest-shortest among its runs of
    consecutive finite items (their concatenations) and its single items."""
    candidates: list[set[str]] = []
    run: set[str] | None = {""}
    for op, av in items:
        if op in _ZERO_WIDTH:
            continue
        exact = _exact(op, av)
        if exact is not None:
            candidates.append(exact)
            if run is not None and len(run) * len(exact) <= MAX_ALTERNATIVES:
                run = {a + b for a, b in product(run, exact)}
                candidates.append(run)
                continue
            run = exact
            continue
        inner = _inner_anchor(op, av)
        if inner is not None:
            candidates.append(inner)
        if run and run != {""}:
            candidates.append(run)
        run = {""}
    candidates = [c for c in candidates if c and "" not in c]
    return max(candidates, key=_strength, default=None)


def _exact(op, av) -> set[str] | None:
    """Every string an item can match, when that is a small finite set."""
    if op is constants.LITERAL:
        return {chr(av)}
    if op is constants.IN and all(kind is constants.LITERAL for kind, _ in av) and len(av) <= 8:
        return {chr(value) for _, value in av}
    if op is constants.SUBPATTERN:
        return _exact_sequence(list(av[-1]))
    if op in (constants.MAX_REPEAT, constants.MIN_REPEAT) and av[0] == 0 and av[1] == 1:   # "x?"
        inner = _exact_sequence(list(av[2]))
        return inner | {""} if inner is not None else None
    if op is constants.BRANCH:
        options = [_exact_sequence(list(branch)) for branch in av[1]]
        if any(o is None for o in options):
            return None
        union: set[str] = set().union(*options)  # type: ignore[arg-type]  # no None: checked above
        return union if len(union) <= MAX_ALTERNATIVES else None
    return None


def _exact_sequence(items: list) -> set[str] | None:
    result = {""}
    for op, av in items:
        if op in _ZERO_WIDTH:
            continue
        exact = _exact(op, av)
        if exact is None or len(result) * len(exact) > MAX_ALTERNATIVES:
            return None
        result = {a + b for a, b in product(result, exact)}
    return result


def _inner_anchor(op, av) -> set[str] | None:
    """Anchors inside a group or a repeat that must match at least once, or of
    each branch of an alternation (a match takes one branch, so one of them occurs)."""
    if op is constants.SUBPATTERN:
        return _best(list(av[-1]))
    if op in (constants.MAX_REPEAT, constants.MIN_REPEAT) and av[0] >= 1:
        return _best(list(av[2]))
    if op is constants.BRANCH:
        union: set[str] = set()
        for branch in av[1]:
            found = _best(list(branch))
            if found is None:
                return None
            union |= found
        return union if len(union) <= MAX_ALTERNATIVES else None
    return None
