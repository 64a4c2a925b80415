"""secret_forms keeps its own BIP39 checksum (the library's scans the wordlist
for every word); it must agree with the reference implementation everywhere."""
from __future__ import annotations

import random

import pytest
from mnemonic import Mnemonic

from router.secrets.secret_forms import checksum_ok

LISTS = {"en": ("english",), "zh": ("chinese_simplified", "chinese_traditional")}


@pytest.mark.parametrize("language", sorted(LISTS))
def test_checksum_agrees_with_the_mnemonic_library(language: str) -> None:
    rng = random.Random(7)
    references = [Mnemonic(name) for name in LISTS[language]]
    verdicts = set()
    for _ in range(2000):
        reference = rng.choice(references)
        strength = rng.choice((128, 160, 192, 224, 256))
        words = reference.to_mnemonic(rng.randbytes(strength // 8)).split(" ")
        if rng.random() < 0.5:          # one word swapped: the checksum usually breaks
            words[rng.randrange(len(words))] = rng.choice(reference.wordlist)
        expected = any(r.check(" ".join(words)) for r in references)
        assert checksum_ok(words, language) == expected, words
        verdicts.add(expected)
    assert verdicts == {True, False}    # both outcomes were exercised


def test_wrong_length_or_unlisted_word_is_no_phrase() -> None:
    words = Mnemonic("english").to_mnemonic(bytes(16)).split(" ")
    assert checksum_ok(words, "en")
    assert not checksum_ok(words[:11], "en")
    assert not checksum_ok([*words[:11], "bitcoin"], "en")
    assert checksum_ok([w.upper() for w in words], "en")     # case does not matter
