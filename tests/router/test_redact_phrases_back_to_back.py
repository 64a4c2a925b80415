"""Two recovery phrases pasted one after the other (a customer sending both wallets' phrases,
or the same phrase twice) are one run of 24 list words. Each phrase passes the checksum,
and so, by chance, does about one window in sixteen between them: every word of both
must still go, not just a window that happens to pass in the middle."""
from __future__ import annotations

import hashlib

import pytest
from mnemonic import Mnemonic

from router.secrets.redact import redact

LANGUAGES = {"en": "english", "zh": "chinese_simplified"}


def _phrase(language: str, n: int) -> str:
    return Mnemonic(LANGUAGES[language]).to_mnemonic(hashlib.sha256(f"wallet {n}".encode()).digest()[:16])


@pytest.mark.parametrize("pair", range(24))
def test_two_phrases_back_to_back_lose_every_word(pair):
    first, second = _phrase("en", 2 * pair), _phrase("en", 2 * pair + 1)
    result = redact(f"Both wallets are empty. Old one: {first} {second} Please help.")
    left = set(result.text.replace(".", " ").replace(":", " ").split()) & set(f"{first} {second}".split())
    assert not left, f"{len(left)} words of the phrases left: {result.text}"
    # "Old one" and "Please help" are list words too: a window that passes by chance may
    # take them with it, but the words that are not list words stay.
    assert result.text.startswith("Both wallets are ") and result.text.endswith(".")


def test_the_same_phrase_twice_loses_every_word():
    phrase = _phrase("en", 99)
    result = redact(f"{phrase}\n{phrase}")
    assert not set(result.text.split()) & set(phrase.split()), result.text


def test_a_phrase_with_list_words_around_it_keeps_the_words_around_it():
    """Unchanged by the above: a run shorter than two phrases keeps what is not the phrase."""
    phrase = _phrase("en", 7)
    result = redact(f"here it is {phrase} please help")
    assert result.text.startswith("here it is") and result.text.endswith("please help"), result.text
