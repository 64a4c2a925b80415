"""The edges of the secret forms redaction relies on, each stated as the value it decides:
base58check keeps leading zero bytes and the shortest payload, a WIF key is 33 bytes or 34
ending in 0x01 and nothing else, a password candidate of exactly the minimum length counts,
a remark in brackets or a mask does not, and an inner capital makes a word password-shaped.
(Mutants of these lines survived `make mutation`: no test looked at the edge.)"""
from __future__ import annotations

import pytest

from router.secrets.secret_forms import (
    base58check_decode,
    base58check_encode,
    is_wif,
    password_shaped,
    plausible_password,
    reads_as_prose,
)


@pytest.mark.parametrize("payload", [b"\x00\x00\x05abc", b"\x00", b"\x80"])
def test_base58check_round_trips_leading_zero_bytes_and_one_byte_payloads(payload):
    text = base58check_encode(payload)
    zeros = len(payload) - len(payload.lstrip(b"\0"))
    assert text.startswith("1" * zeros) and not text.startswith("1" * (zeros + 1))
    assert base58check_decode(text) == payload


def test_base58check_refuses_a_changed_character():
    text = base58check_encode(b"\x80" + bytes(range(32)))
    broken = text[:-1] + ("2" if text[-1] != "2" else "3")
    assert base58check_decode(broken) is None


@pytest.mark.parametrize(("payload", "wif"), [
    (b"\x80" + bytes(range(1, 33)), True),             # 33 bytes: an uncompressed key
    (b"\x80" + bytes(range(1, 33)) + b"\x01", True),   # 34 ending 0x01: a compressed key
    (b"\xef" + bytes(range(1, 33)) + b"\x01", True),   # testnet
    (b"\x80" + bytes(range(1, 33)) + b"\x02", False),  # 34 ending otherwise: not a key
    (b"\x80" + bytes(range(1, 32)), False),            # 32 bytes
    (b"\x05" + bytes(range(1, 33)), False),            # another version byte
])
def test_a_wif_key_is_33_bytes_or_34_ending_in_01(payload, wif):
    assert is_wif(base58check_encode(payload)) is wif


@pytest.mark.parametrize(("value", "plausible"), [
    ("Tr0ub4dor", True),         # exactly the minimum length
    ("Tr0ub4do", False),         # one short
    ("[hidden99]", False),       # a remark in brackets
    ("<secret99>", False),
    ("{secret99}", False),
    ("(secret99)", False),
    ("*•xX#*•xX#", False),       # a mask, made of every mask character
    ("********x", False),
    ("https://x.example", False),
])
def test_a_password_candidate_at_nine_characters(value, plausible):
    assert plausible_password(value, 9) is plausible


@pytest.mark.parametrize(("value", "shaped"), [
    ("abcDefgh", True),   # an inner capital
    ("aBcdefgh", True),   # right after the first letter
    ("Abcdefgh", False),  # a capital first letter is how words start
    ("abcdefgh", False),
    ("abcdefg7", True),
    ("ABCDEFGH", False),  # no lower case: shouting, not a password
])
def test_digits_symbols_or_inner_capitals_make_a_word_password_shaped(value, shaped):
    assert password_shaped(value) is shaped


@pytest.mark.parametrize(("chars", "prose"), [
    ("我们", True),          # a common word and nothing else
    ("鸟鸟鸟我们", True),     # a common word at the very end
    ("我们鸟鸟鸟", True),     # and at the very start
    ("鸟鸟鸟鸟", False),      # no common word anywhere
    ("鸟", False),
])
def test_a_han_run_reads_as_prose_when_it_holds_a_common_two_character_word(chars, prose):
    assert reads_as_prose(chars) is prose
