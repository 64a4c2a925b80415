"""Lists that repeat a word with a running number ("part 0 … part 999", "step 1: check,
step 2: check") are made of BIP39 words but are not phrases: a phrase is 12 to 24 words
drawn at random and does not repeat itself. Real phrases, plain, numbered, in English and
Chinese, and beside such a list, are still redacted."""
from __future__ import annotations

import hashlib

import pytest
from mnemonic import Mnemonic

from router.secrets.redact import redact
from router.secrets.secret_forms import unrepeated_stretches

ENGLISH = Mnemonic("english")
SIMPLIFIED = Mnemonic("chinese_simplified")
PHRASE_12 = ENGLISH.to_mnemonic(bytes.fromhex("0c1e24e5917779d297e14d45f14e1a1a"))
PHRASE_24 = ENGLISH.to_mnemonic(hashlib.sha256(b"a list then a phrase").digest())
HAN_12 = SIMPLIFIED.to_mnemonic(bytes.fromhex("9a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d"))
HAN_24 = SIMPLIFIED.to_mnemonic(hashlib.sha256(b"han twenty-four").digest())

LISTS = {
    "part 0 ... part 999": " ".join(f"part {i}" for i in range(1000)),
    "part N, one a line": "\n".join(f"part {i}" for i in range(40)),
    "step N: check": "\n".join(f"step {i}: check" for i in range(1, 30)),
    "item N: open, close": "\n".join(f"item {i}: open, close" for i in range(1, 20)),
    "one word over and over": "again " * 30,
    "zh 部 N": " ".join(f"部 {i}" for i in range(1, 50)),
}


@pytest.mark.parametrize("name", sorted(LISTS))
def test_a_numbered_list_of_one_repeated_word_is_not_a_mnemonic(name: str) -> None:
    text = LISTS[name]
    result = redact(text)
    assert result.kinds == ()
    assert result.text == text


@pytest.mark.parametrize("phrase", [PHRASE_12, PHRASE_24, HAN_12, HAN_24], ids=["en-12", "en-24", "zh-12", "zh-24"])
def test_real_phrases_are_still_mnemonics(phrase: str) -> None:
    result = redact(f"here are my words:\n{phrase}\nplease help")
    assert result.kinds == ("mnemonic",)
    assert phrase.split()[3] + " " + phrase.split()[4] not in result.text


@pytest.mark.parametrize("style", ["{n}. {w}", "{n}) {w}", "#{n} {w}", "{n}、{w}"])
def test_numbered_phrases_are_still_mnemonics(style: str) -> None:
    numbered = " ".join(style.format(n=n, w=w) for n, w in enumerate(PHRASE_12.split(), 1))
    assert numbered.startswith(("1", "#1"))
    assert redact(numbered).text == "[REDACTED:mnemonic]"
    one_a_line = "\n".join(style.format(n=n, w=w) for n, w in enumerate(HAN_12.split(), 1))
    assert redact(one_a_line).text == "[REDACTED:mnemonic]"


def test_a_phrase_right_after_a_repeated_list_is_still_found() -> None:
    # The list's numbers are separators, so the list and the phrase are one run of list
    # words: the phrase must survive the cutting out of the repetition.
    listing = "\n".join(f"part {i}" for i in range(50))
    result = redact(f"{listing}\n{PHRASE_24}")
    assert result.kinds == ("mnemonic",)
    assert result.text == f"{listing}\n[REDACTED:mnemonic]"


def test_a_phrase_that_repeats_one_word_once_is_still_a_phrase() -> None:
    # Random draws do repeat a word now and then ("... amount liar amount ..."), just
    # not with a pattern: bytes 0..15 give such a phrase.
    phrase = ENGLISH.to_mnemonic(bytes(range(16)))
    assert len(set(phrase.split())) == 11
    assert redact(f"my seed: {phrase}").kinds == ("mnemonic",)


@pytest.mark.parametrize(("words", "expected"), [
    ("a b c d e f", [(0, 6)]),
    ("x x x a b", [(3, 5)]),                 # the same word three times over
    ("a b s c s c s c d", [(0, 2), (8, 9)]),  # a pair said again and again
    ("a s t u s t u b", [(0, 1), (7, 8)]),    # three words said again
    ("a b a c d a", [(0, 6)]),                # repeats without a pattern stay
])
def test_unrepeated_stretches(words: str, expected: list[tuple[int, int]]) -> None:
    assert unrepeated_stretches(words.split()) == expected
