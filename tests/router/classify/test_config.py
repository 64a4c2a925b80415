"""The desk edits config/triage.toml: its mistakes are named at load time, and its
additions take effect."""
from __future__ import annotations

from dataclasses import replace

import pytest

from router.classify import classify
from router.classify.config import DEFAULT_PATH, load_config
from router.classify.rules import RuleSet


def desk_file(tmp_path, extra: str):
    path = tmp_path / "triage.toml"
    path.write_text(DEFAULT_PATH.read_text(encoding="utf-8") + "\n" + extra, encoding="utf-8")
    return path


def test_the_shipped_configuration_loads():
    config = load_config()
    assert config.categories[0] == "security" and config.urgencies[0] == "critical"
    assert {"en", "zh"} <= set(config.negation)


def test_a_bad_pattern_is_named(tmp_path):
    path = desk_file(tmp_path, '[[rules.en.feedback]]\nname = "broken"\nweight = 1.0\npatterns = ["(unclosed"]\n')
    with pytest.raises(ValueError, match=r"rules\.en\.feedback\[\d+\]\.patterns\[0\]: bad regex"):
        load_config(path)


def test_an_unknown_label_is_named(tmp_path):
    path = desk_file(tmp_path, '[[rules.en.billing]]\nname = "x"\nweight = 1.0\nkeywords = ["invoice"]\n')
    with pytest.raises(ValueError, match=r"rules\.en\.billing: unknown category or urgency 'billing'"):
        load_config(path)


def test_a_desk_keyword_takes_effect(tmp_path):
    message = "the moonpay widget ate my order"
    assert classify(message, rules=RuleSet(load_config())).category == "general"
    path = desk_file(tmp_path, '[[rules.en.transaction]]\nname = "card_purchase"\nweight = 4.0\n'
                               'keywords = ["moonpay", "ate my order"]\n')
    result = classify(message, rules=RuleSet(load_config(path)))
    assert result.category == "transaction"
    assert any("en.transaction.card_purchase" in reason for reason in result.reasons)


def test_a_desk_negation_cue_takes_effect():
    text = "nope hacked, just curious about fees"
    config = load_config()
    assert classify(text, rules=RuleSet(config)).category == "security"
    english = config.negation["en"]
    negation = {**config.negation, "en": replace(english, cues=(*english.cues, "nope"))}
    assert classify(text, rules=RuleSet(replace(config, negation=negation))).category != "security"


def test_a_category_rule_declares_its_urgency_once(tmp_path):
    # One entry, two rules: the category and, for the categories named, the urgency.
    path = desk_file(tmp_path, '[[rules.en.transaction]]\nname = "moonpay"\nweight = 6.0\n'
                               'keywords = ["moonpay order"]\n'
                               'urgency = {label = "high", weight = 6.0, categories = ["transaction"]}\n')
    config = load_config(path)
    twin = next(r for r in config.rules if r.key == "en.high.moonpay")
    assert (twin.weight, twin.keywords, twin.categories) == (6.0, ("moonpay order",), frozenset({"transaction"}))
    result = classify("my moonpay order from this morning", rules=RuleSet(config))
    assert (result.category, result.urgency) == ("transaction", "high"), result.reasons


@pytest.mark.parametrize(("extra", "problem"), [
    ('[[rules.en.high]]\nname = "x"\nweight = 1.0\nkeywords = ["x"]\nurgency = {label = "high", weight = 1.0}\n',
     r"rules\.en\.high\[\d+\]\.urgency: only category rules can declare an urgency"),
    ('[[rules.en.account]]\nname = "x"\nweight = 1.0\nkeywords = ["x"]\nurgency = {label = "soon", weight = 1.0}\n',
     r"rules\.en\.account\[\d+\]\.urgency\.label: unknown urgency 'soon'"),
])
def test_a_wrong_urgency_declaration_is_named(tmp_path, extra, problem):
    with pytest.raises(ValueError, match=problem):
        load_config(desk_file(tmp_path, extra))


def with_lexicon(tmp_path, entries: str, extra: str):
    """The shipped file with lexicon entries added to its [lexicon] table, plus `extra`."""
    text = DEFAULT_PATH.read_text(encoding="utf-8").replace("[lexicon]\n", "[lexicon]\n" + entries, 1)
    path = tmp_path / "triage.toml"
    path.write_text(text + "\n" + extra, encoding="utf-8")
    return path


def test_a_lexicon_is_shared_by_the_patterns_that_name_it(tmp_path):
    rule = ('[[rules.en.technical]]\nname = "gadget_broke"\nweight = 6.0\n'
            "patterns = ['\\b{gadget}\\b[^.!?]{0,10}\\b(broke|died)\\b']\n")
    path = with_lexicon(tmp_path, "gadget = ['ledger', 'trezor', 'key ?card']\n", rule)
    rules = RuleSet(load_config(path))
    for text in ("my trezor just died", "the keycard broke again", "my key card died today"):
        result = classify(text, rules=rules)
        assert any("en.technical.gadget_broke" in reason for reason in result.reasons), (text, result.reasons)
    # A quantifier in braces stays a quantifier; only {name} is a lexicon.
    result = classify("my phone died", rules=rules)
    assert not any("gadget_broke" in reason for reason in result.reasons)


@pytest.mark.parametrize(("entries", "extra", "problem"), [
    ("", "[[rules.en.technical]]\nname = \"x\"\nweight = 1.0\npatterns = ['{nowhere} broke']\n",
     r"rules\.en\.technical\[\d+\]\.patterns\[0\]: unknown lexicon \{nowhere\}"),
    ("gadget = ['(ledger']\n", "", r"lexicon\.gadget\[0\]: bad regex"),
    ("gadget = []\n", "", r"lexicon\.gadget: must not be empty"),
])
def test_a_wrong_lexicon_is_named(tmp_path, entries, extra, problem):
    with pytest.raises(ValueError, match=problem):
        load_config(with_lexicon(tmp_path, entries, extra))
