"""classify(): secrets, reasons an agent can read, shouting versus substance, classify_many."""
from __future__ import annotations

from router.classify import Classification, classify, classify_many


def test_secret_kinds_make_critical_security(system):
    result = system("What is the fee for sending USDT on TRON?", secret_kinds=("mnemonic",))
    assert (result.category, result.urgency) == ("security", "critical")
    assert any("secret present: mnemonic" in reason for reason in result.reasons)


def test_redaction_token_in_text_counts_as_a_secret(system):
    result = system("is this my key? [REDACTED:private_key] the app says it is invalid")
    assert (result.category, result.urgency) == ("security", "critical")
    assert any("private_key" in reason for reason in result.reasons)


def test_rules_give_readable_reasons(rules):
    result = classify("My withdrawal has not arrived after 5 hours", rules=rules)
    assert any(reason.startswith("rule en.transaction.") and "matched" in reason for reason in result.reasons)
    assert result.scores["transaction"] > 0


def test_model_adds_its_reason(rules, shipped_model):
    result = classify("My withdrawal has not arrived after 5 hours", model=shipped_model, rules=rules)
    assert any(reason.startswith("model: category transaction") for reason in result.reasons)
    assert abs(sum(result.scores.values()) - 1.0) < 1e-6          # the model's probabilities


def test_model_names_its_words_when_no_rule_explains(rules, shipped_model):
    result = classify("the numbers on the home screen look odd to me", model=shipped_model, rules=rules)
    assert not any(reason.startswith("rule ") for reason in result.reasons)
    model_reason = next(r for r in result.reasons if r.startswith("model: category"))
    assert "; words: " in model_reason


def test_shouting_does_not_raise_urgency(system):
    calm = system("How do I change the currency shown in the app?")
    loud = system("URGENT!!!!! HOW DO I CHANGE THE CURRENCY SHOWN IN THE APP??? ASAP")
    assert calm.urgency == loud.urgency == "normal"


def test_substance_raises_urgency_without_shouting(system):
    result = system("Hello. Someone moved all my tokens out of my wallet an hour ago. It was not me.")
    assert (result.category, result.urgency) == ("security", "critical")


def test_message_without_any_signal_is_general(rules):
    result = classify("ok", rules=rules)
    assert isinstance(result, Classification)
    assert result.category == "general"


def test_classify_many_takes_dicts(rules):
    results = classify_many([{"text": "my wallet was drained"},
                             {"text": "what are your opening hours?", "channel": "webform"},
                             {"text": "fee?", "secret_kinds": ["password"]}], rules=rules)
    assert [(r.category, r.urgency) for r in results] == [("security", "critical"), ("general", "low"),
                                                          ("security", "critical")]
