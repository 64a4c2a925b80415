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
