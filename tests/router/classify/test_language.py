"""Language detection, and traditional Chinese treated as Chinese all the way through."""
from __future__ import annotations

import re

import pytest

from router.classify import classify
from router.classify.language import detect_language
from router.classify.normalise import normalise


@pytest.mark.parametrize(("text", "language"), [
    ("My deposit has not arrived yet", "en"),
    ("我的充值还没到账", "zh"),
    ("我的帳戶被凍結了,無法登錄", "zh"),                       # traditional characters
    ("我的USDT transfer一直pending,怎么回事", "zh"),          # mixed: most words are Chinese
    ("hi support, my 提币 is stuck since this morning, please check", "en"),
    ("Olá, não recebi o meu depósito", "other"),
    ("Здравствуйте, у меня пропали деньги", "other"),  # noqa: RUF001 - Russian
    ("こんにちは、出金が届きません", "other"),
    ("0x3f5c9a17e2b04d6c8e1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f7 转账没到", "zh"),   # a hash is no word
    ("[REDACTED:mnemonic] 帮我看看", "zh"),
])
def test_detect_language(text, language):
    assert detect_language(text) == language


def test_classification_carries_the_language(rules):
    assert classify("提币三个小时还没到账", rules=rules).language == "zh"
    assert classify("withdrawal missing for three hours", rules=rules).language == "en"


def test_traditional_characters_are_normalised_to_simplified():
    assert normalise("錢包被盜,幣被轉走") == "钱包被盗,币被转走"


def test_full_width_forms_and_case_are_normalised():
    assert normalise("ＵＳＤＴ　Ｎｏｔ Arrived！") == "usdt not arrived!"  # noqa: RUF001 - full width is the input


@pytest.mark.parametrize(("text", "category", "urgency"), [
    ("我的錢包被盜了,幣全部被轉走,不是我操作的", "security", "critical"),
    ("提幣到交易所三個小時了還沒到賬", "transaction", "high"),
    ("帳號被凍結了,無法登錄", "account", "high"),
    ("請問手續費怎麼算?", "policy", "normal"),
])
def test_traditional_chinese_is_classified_like_simplified(system, text, category, urgency):
    result = system(text)
    assert (result.category, result.urgency, result.language) == (category, urgency, "zh"), result.reasons


def test_normalise_keeps_amounts_inside_one_sentence():
    from router.classify.normalise import normalise

    # Patterns read "." as the end of a sentence; the point inside "0.5" is not one, so
    # none may be left between digits. Sentence ends, ellipses and the words stay.
    def sentences(text: str) -> list[list[str]]:
        return [part.split() for part in re.split(r"[.。]+", normalise(text)) if part.strip()]

    def digits(word: str) -> str:
        return "".join(ch for ch in word if ch.isdigit())

    (sent, amount, eth), gone = sentences("Sent 0.5 ETH. It is GONE")
    assert (sent, eth, gone) == ("sent", "eth", ["it", "is", "gone"]) and digits(amount) == "05"
    (balance, small, usdt), = sentences("余额只剩 0.01 USDT。")
    assert (balance, usdt, digits(small)) == ("余额只剩", "usdt", "001")
    version, again = sentences("v4.12.0 crashed... again")
    assert digits(version[0]) == "4120" and version[1:] == ["crashed"] and again == ["again"]
    assert "..." in normalise("v4.12.0 crashed... again")
    assert not re.search(r"\d[.。]\d", normalise("paid 1.25 BTC, got 0.3 and v2.1"))
