"""Beside a recovery phrase, a rest of 12 list words or more goes with it (it could be a
phrase of its own whose checksum a typo broke); a rest of 11 or fewer is ordinary words
and stays. The rest here passes no checksum in any window, alone or with the phrase, so
only the 12-word rule decides."""
from __future__ import annotations

import hashlib

import pytest
from mnemonic import Mnemonic

from router.secrets.redact import redact
from router.secrets.secret_forms import PHRASE_LENGTHS, checksum_ok, phrases_window

WORDS = Mnemonic("english").wordlist
PHRASE = Mnemonic("english").to_mnemonic(hashlib.sha256(b"the wallet beside the rest").digest()[:16]).split()


def _only_the_phrase_is_valid(words: list[str], phrase_at: int) -> bool:
    valid = [(i, length) for length in PHRASE_LENGTHS for i in range(len(words) - length + 1)
             if checksum_ok(words[i:i + length], "en")]
    return valid == [(phrase_at, 12)]


def _rest(length: int, before: bool) -> list[str]:
    """`length` list words, none repeated, which make no valid window beside the phrase."""
    for seed in range(1000):
        digest = hashlib.sha256(f"rest {length} {seed}".encode()).digest()
        rest = [WORDS[(digest[2 * i % 32] * 256 + digest[(2 * i + 1) % 32] + 7 * i) % 2048] for i in range(length)]
        words = rest + PHRASE if before else PHRASE + rest
        if len(set(words)) == len(words) and _only_the_phrase_is_valid(words, length if before else 0):
            return rest
    raise AssertionError("no such rest among 1,000 seeds")


@pytest.mark.parametrize("before", [True, False], ids=["rest-before", "rest-after"])
def test_twelve_words_beside_a_phrase_go_with_it_and_eleven_stay(before):
    for length, widened in ((12, True), (11, False)):
        rest = _rest(length, before)
        words = rest + PHRASE if before else PHRASE + rest
        expected = (0, len(words)) if widened else ((length, len(words)) if before else (0, 12))
        assert phrases_window(words, "en") == expected, (length, before)

        text = redact(f"Help! {' '.join(words)}").text
        kept = set(text.split()) & set(rest)
        assert kept == (set() if widened else set(rest)), (length, before, text)
        assert not set(text.split()) & set(PHRASE), text
