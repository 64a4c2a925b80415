"""Read and validate the triage configuration (config/triage.toml).

Everything wrong is reported at load time as a `ValueError` that names the file and
the key ("triage.toml: rules.zh.security[3].patterns[0]: bad regex ..."), so a desk
that edits its rules finds its mistake at start-up, not at the first message.
"""
from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from router.classify.normalise import normalise

DEFAULT_PATH = Path(__file__).resolve().parents[2] / "config" / "triage.toml"
_RULE_KEYS = {"name", "weight", "keywords", "patterns", "negatable", "categories", "urgency"}
_URGENCY_KEYS = {"label", "weight", "categories"}
_LANGUAGE = re.compile(r"[a-z]{2,3}|any")
_LEXICON_REF = re.compile(r"\{([a-z_][a-z0-9_]*)\}")     # {asset} in a pattern; {2,5} stays a quantifier


@dataclass(frozen=True, slots=True)
class RuleSpec:
    key: str                           # "zh.security.stolen": shown in reasons
    language: str                      # "zh", "en", ... or "any"
    label: str                         # a category or an urgency
    weight: float
    keywords: tuple[str, ...]          # normalised; a trailing "*" marks a stem
    patterns: tuple[re.Pattern, ...]
    negatable: bool
    categories: frozenset[str] | None  # urgency rules: count only for these categories


@dataclass(frozen=True, slots=True)
class UrgencyBounds:
    default: str
    min: str
    max: str


@dataclass(frozen=True, slots=True)
class NegationSpec:
    window: int                        # words (Latin) or characters (Chinese) between cue and match
    cues: tuple[str, ...]
    hypothetical_window: int = 0       # the same for `hypothetical` cues, which reach further
    hypothetical: tuple[str, ...] = ()  # "if", "如果": a feared event is not an event


@dataclass(frozen=True, slots=True)
class TriageConfig:
    categories: tuple[str, ...]        # priority order, highest first
    urgencies: tuple[str, ...]         # most urgent first
    default_category: str
    decision: dict[str, float]         # tie_ratio, urgency_threshold, force_threshold
    combine: dict[str, float]          # rule_scale, tie_margin, critical_threshold, ...
    category_urgency: dict[str, UrgencyBounds]
    negation: dict[str, NegationSpec]
    rules: tuple[RuleSpec, ...]
    triage_pool: str = "triage"        # where low-confidence messages wait for a lead's labels
    triage_below: float = 0.0          # calibrated confidence under which they go there (0: never)


_DECISION = ("tie_ratio", "urgency_threshold", "force_threshold")
_COMBINE = ("rule_scale", "tie_margin", "critical_threshold", "rules_margin", "model_sure")


class _Checker:
    """Typed reads from the parsed TOML that fail with the key's full name."""

    def __init__(self, filename: str) -> None:
        self.filename = filename

    def fail(self, key: str, problem: str) -> ValueError:
        return ValueError(f"{self.filename}: {key}: {problem}")

    def table(self, data: Any, key: str) -> dict:
        if not isinstance(data, dict):
            raise self.fail(key, "must be a table")
        return data

    def number(self, table: dict, name: str, key: str) -> float:
        value = table.get(name)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.fail(f"{key}.{name}", f"must be a number, got {value!r}")
        return float(value)

    def strings(self, table: dict, name: str, key: str) -> tuple[str, ...]:
        value = table.get(name, [])
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            raise self.fail(f"{key}.{name}", "must be a list of non-empty strings")
        return tuple(value)

    def label(self, value: Any, allowed: tuple[str, ...], key: str, what: str) -> str:
        if value not in allowed:
            raise self.fail(key, f"unknown {what} {value!r} (known: {', '.join(allowed)})")
        return value


def load_config(path: str | Path | None = None) -> TriageConfig:
    """Parse and validate the triage configuration at `path` (default: config/triage.toml)."""
    path = Path(path) if path is not None else DEFAULT_PATH
    check = _Checker(path.name)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise check.fail("(file)", f"not valid TOML: {exc}") from exc
    labels = check.table(data.get("labels"), "labels")
    categories = check.strings(labels, "categories", "labels")
    urgencies = check.strings(labels, "urgencies", "labels")
    if not categories or not urgencies:
        raise check.fail("labels", "categories and urgencies must not be empty")
    if set(categories) & set(urgencies):
        raise check.fail("labels", "a name cannot be both a category and an urgency")
    default = check.label(labels.get("default_category"), categories, "labels.default_category", "category")
    decision = check.table(data.get("decision"), "decision")
    combine = check.table(data.get("combine"), "combine")
    return TriageConfig(
        categories=categories, urgencies=urgencies, default_category=default,
        decision={name: check.number(decision, name, "decision") for name in _DECISION},
        combine={name: check.number(combine, name, "combine") for name in _COMBINE},
        category_urgency=_category_urgency(check, data, categories, urgencies),
        negation=_negation(check, data),
        rules=_rules(check, data, categories, urgencies, _lexicon(check, data)),
        **_triage_pool(check, data),
    )


def _triage_pool(check: _Checker, data: dict) -> dict[str, Any]:
    table = check.table(data.get("triage_pool", {}), "triage_pool")
    pool = table.get("pool", "triage")
    if not isinstance(pool, str) or not pool:
        raise check.fail("triage_pool.pool", f"must be a pool name, got {pool!r}")
    below = check.number({"below": table.get("below", 0.0)}, "below", "triage_pool")
    if not 0.0 <= below < 1.0:
        raise check.fail("triage_pool.below", f"must be at least 0 and under 1, got {below}")
    return {"triage_pool": pool, "triage_below": below}


def _category_urgency(check: _Checker, data: dict, categories, urgencies) -> dict[str, UrgencyBounds]:
    tables = check.table(data.get("category_urgency", {}), "category_urgency")
    result = {}
    for category, table in tables.items():
        key = f"category_urgency.{category}"
        check.label(category, categories, key, "category")
        table = check.table(table, key)
        values = {name: check.label(table.get(name), urgencies, f"{key}.{name}", "urgency")
                  for name in ("default", "min", "max")}
        rank = urgencies.index   # most urgent first: a smaller index is more urgent
        if not rank(values["max"]) <= rank(values["default"]) <= rank(values["min"]):
            raise check.fail(key, "needs max >= default >= min in urgency")
        result[category] = UrgencyBounds(**values)
    missing = [c for c in categories if c not in result]
    if missing:
        raise check.fail("category_urgency", f"missing categories: {', '.join(missing)}")
    return result


def _negation(check: _Checker, data: dict) -> dict[str, NegationSpec]:
    tables = check.table(data.get("negation", {}), "negation")
    result = {}
    for language, table in tables.items():
        key = f"negation.{language}"
        table = check.table(table, key)
        windows = {}
        for name in ("window", "hypothetical_window"):
            windows[name] = check.number(table, name, key) if name in table or name == "window" else 0
            if windows[name] < 0 or windows[name] != int(windows[name]):
                raise check.fail(f"{key}.{name}", "must be a whole number >= 0")
        cues, hypothetical = (tuple(normalise(cue) for cue in check.strings(table, name, key))
                              for name in ("cues", "hypothetical"))
        result[language] = NegationSpec(int(windows["window"]), cues, int(windows["hypothetical_window"]),
                                        hypothetical)
    return result


def _lexicon(check: _Checker, data: dict) -> dict[str, str]:
    """Named word lists that patterns share: `{asset}` in a pattern stands for any
    entry of `lexicon.asset`, so one idea ("coins, tokens, USDT...") is written once
    and every rule that needs it grows with it."""
    table = check.table(data.get("lexicon", {}), "lexicon")
    result = {}
    for name in table:
        key = f"lexicon.{name}"
        if not _LEXICON_REF.fullmatch("{" + name + "}"):
            raise check.fail(key, "must be a name of lower-case letters, digits and _")
        entries = check.strings(table, name, "lexicon")
        if not entries:
            raise check.fail(key, "must not be empty")
        for j, entry in enumerate(entries):
            try:
                re.compile(entry)
            except re.error as exc:
                raise check.fail(f"{key}[{j}]", f"bad regex {entry!r}: {exc}") from exc
        # Longest first: the engine takes the first alternative that fits.
        result[name] = "(?:" + "|".join(sorted(entries, key=len, reverse=True)) + ")"
    return result


def _expand(check: _Checker, source: str, lexicon: dict[str, str], key: str) -> str:
    def entry(m: re.Match) -> str:
        if m.group(1) not in lexicon:
            raise check.fail(key, f"unknown lexicon {{{m.group(1)}}} (known: {', '.join(sorted(lexicon)) or 'none'})")
        return lexicon[m.group(1)]
    return _LEXICON_REF.sub(entry, source)


def _rules(check: _Checker, data: dict, categories, urgencies,
           lexicon: dict[str, str]) -> tuple[RuleSpec, ...]:
    languages = check.table(data.get("rules", {}), "rules")
    result = []
    for language, by_label in languages.items():
        if not _LANGUAGE.fullmatch(language):
            raise check.fail(f"rules.{language}", "language must be a 2-3 letter code or 'any'")
        for label, items in check.table(by_label, f"rules.{language}").items():
            check.label(label, categories + urgencies, f"rules.{language}.{label}", "category or urgency")
            if not isinstance(items, list):
                raise check.fail(f"rules.{language}.{label}", "must be an array of tables ([[...]])")
            for i, item in enumerate(items):
                key = f"rules.{language}.{label}[{i}]"
                rule = _rule(check, item, key, language, label, categories, label in urgencies, lexicon)
                result.append(rule)
                if isinstance(item, dict) and "urgency" in item:
                    result.append(_urgency_twin(check, item["urgency"], f"{key}.urgency", rule, item["name"],
                                                categories, urgencies))
    return tuple(result)


def _urgency_twin(check: _Checker, spec: Any, key: str, rule: RuleSpec, name: str,
                  categories: tuple[str, ...], urgencies: tuple[str, ...]) -> RuleSpec:
    """The urgency rule a category rule declares with `urgency = {label, weight,
    categories}`: the same words saying how fast, so they are written once."""
    if rule.label in urgencies:
        raise check.fail(key, "only category rules can declare an urgency")
    spec = check.table(spec, key)
    unknown = sorted(set(spec) - _URGENCY_KEYS)
    if unknown:
        raise check.fail(f"{key}.{unknown[0]}", f"unknown key (known: {', '.join(sorted(_URGENCY_KEYS))})")
    level = check.label(spec.get("label"), urgencies, f"{key}.label", "urgency")
    only = None
    if "categories" in spec:
        only = frozenset(check.label(c, categories, f"{key}.categories", "category")
                         for c in check.strings(spec, "categories", key))
    return RuleSpec(key=f"{rule.language}.{level}.{name}", language=rule.language, label=level,
                    weight=check.number(spec, "weight", key), keywords=rule.keywords,
                    patterns=rule.patterns, negatable=rule.negatable, categories=only)


def _rule(check: _Checker, item: Any, key: str, language: str, label: str,
          categories: tuple[str, ...], is_urgency: bool, lexicon: dict[str, str]) -> RuleSpec:
    item = check.table(item, key)
    unknown = sorted(set(item) - _RULE_KEYS)
    if unknown:
        raise check.fail(f"{key}.{unknown[0]}", f"unknown key (known: {', '.join(sorted(_RULE_KEYS))})")
    name = item.get("name")
    if not isinstance(name, str) or not re.fullmatch(r"[a-z0-9_]+", name):
        raise check.fail(f"{key}.name", "must be a name of lower-case letters, digits and _")
    keywords = tuple(normalise(k) for k in check.strings(item, "keywords", key))
    patterns = []
    for j, source in enumerate(check.strings(item, "patterns", key)):
        try:
            patterns.append(re.compile(_expand(check, source, lexicon, f"{key}.patterns[{j}]")))
        except re.error as exc:
            raise check.fail(f"{key}.patterns[{j}]", f"bad regex {source!r}: {exc}") from exc
    if not keywords and not patterns:
        raise check.fail(key, "needs keywords or patterns")
    negatable = item.get("negatable", True)
    if not isinstance(negatable, bool):
        raise check.fail(f"{key}.negatable", "must be true or false")
    only = None
    if "categories" in item:
        if not is_urgency:
            raise check.fail(f"{key}.categories", "only urgency rules can be limited to categories")
        only = frozenset(check.label(c, categories, f"{key}.categories", "category")
                         for c in check.strings(item, "categories", key))
    return RuleSpec(key=f"{language}.{label}.{name}", language=language, label=label,
                    weight=check.number(item, "weight", key), keywords=keywords,
                    patterns=tuple(patterns), negatable=negatable, categories=only)
