"""Negation in English and Chinese: a denied or feared event is not an event, and a
question that asks "is it ...?" is not a denial."""
from __future__ import annotations

from router.classify import classify


def negated(result) -> list[str]:
    return [reason for reason in result.reasons if reason.startswith("negated:")]


def test_not_hacked_is_not_a_theft(rules):
    result = classify("My wallet was not hacked, I just sent the USDT to the wrong network.", rules=rules)
    assert result.category == "transaction"
    assert "negated: 'not hacked'" in result.reasons


def test_shouted_negation_counts_too(rules):
    result = classify("I did NOT lose my password, the app refuses it since the update", rules=rules)
    assert any("lose my password" in reason for reason in negated(result))
    assert result.urgency != "critical"


def test_negation_reaches_only_a_few_words(rules):
    # "no idea" belongs to another verb: the theft stands.
    result = classify("I have no idea how they stole my coins, everything is gone", rules=rules)
    assert (result.category, result.urgency) == ("security", "critical")


def test_negation_stops_at_a_clause_break(rules):
    result = classify("I did not click anything, but my wallet was drained an hour ago", rules=rules)
    assert (result.category, result.urgency) == ("security", "critical")


def test_chinese_negation(rules):
    result = classify("我的钱包不是被盗,是我自己把币转错地址了", rules=rules)
    assert result.category == "transaction"
    assert any("不是被盗" in reason for reason in negated(result))


def test_chinese_negation_with_meiyou(rules):
    result = classify("账户没有被盗,只是忘记密码登录不了", rules=rules)
    assert result.category == "account"


def test_a_not_a_question_is_not_a_denial(rules):
    result = classify("我的币是不是被盗了?余额少了一半", rules=rules)
    assert (result.category, result.urgency) == ("security", "critical")
    assert not negated(result)


def test_hypothetical_is_not_an_event(rules):
    english = classify("What happens to my coins if my phone is ever stolen?", rules=rules)
    chinese = classify("万一手机被偷了,钱包里的币怎么办?", rules=rules)
    assert english.urgency != "critical" and chinese.urgency != "critical"
    assert negated(english) and negated(chinese)


def test_rule_that_includes_its_negation_is_not_cancelled(rules):
    # "没到账" is the complaint itself, written into the rule: the "没" must not cancel it.
    result = classify("提币两个小时了还没到账", rules=rules)
    assert (result.category, result.urgency) == ("transaction", "high")
