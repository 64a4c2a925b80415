"""How redaction assembles its finds: blank text comes back as it is; two finds that start
together share one token, the longer one's; the kinds of every pass are kept; a message
with many overlapping finds is cleaned in one pass; and the quick checks that choose the
detectors skip one only when none of its marks is in the text. The secrets are made up."""
from __future__ import annotations

import hashlib

import pytest
from mnemonic import Mnemonic

from router.secrets.redact import redact

PHRASES = [Mnemonic("english").to_mnemonic(hashlib.sha256(f"made-up phrase {n}".encode()).digest()[:16])
           for n in range(5)]
PHRASE_24 = Mnemonic("english").to_mnemonic(hashlib.sha256(b"made-up long phrase").digest())
KEY_HEX = "4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318"   # made up


@pytest.mark.parametrize("text", ["", " ", "\n\t "])
def test_blank_text_comes_back_as_it_is(text: str) -> None:
    result = redact(text)
    assert result.text == text and result.kinds == ()


def test_finds_that_start_together_share_the_longer_ones_token() -> None:
    # The first word of the phrase is also the password's value (a bare word after a
    # Chinese cue counts).
    result = redact(f"密码是 {PHRASES[0]}")
    assert result.text == "密码是 [REDACTED:mnemonic]"
    assert result.kinds == ("mnemonic",)


def test_every_pass_keeps_the_kinds_it_found() -> None:
    # The key is named more than REACH characters back: only once the phrase is a token
    # does the naming come within reach, on the second pass.
    text = f"private key below, after my words: {PHRASE_24} {KEY_HEX}"
    assert text.index(KEY_HEX) > 160
    first = redact(text)
    assert first.text == "private key below, after my words: [REDACTED:mnemonic] [REDACTED:private_key]"
    assert first.kinds == ("mnemonic", "private_key")


def test_many_overlapping_finds_are_cleaned_at_once() -> None:
    # Each line holds two finds that start together, one more than the passes allowed.
    text = "\n".join(f"密码是 {phrase}" for phrase in PHRASES)
    result = redact(text)
    assert result.text == "\n".join(["密码是 [REDACTED:mnemonic]"] * len(PHRASES))


def test_a_message_holding_every_mark_still_goes_through_every_detector() -> None:
    # The quick checks look for any one mark; a text holding them all is checked all the same.
    text = ("pass / pw / pin / 密码 / 密碼 / 口令: Ab12345!\n"
            "quotes \" ' “ ‘ 「 『 ; tried 'Sunflower88'\n"
            "钥 鑰 my private key is " + " ".join(KEY_HEX[i:i + 4] for i in range(0, 64, 4)))
    result = redact(text)
    assert "Ab12345" not in result.text
    assert "Sunflower88" not in result.text
    assert KEY_HEX[:4] not in result.text and KEY_HEX[-4:] not in result.text


def test_a_dotless_i_in_the_cue_still_names_a_password() -> None:
    assert redact("my p\u0131n: Ab12345").text == "my p\u0131n: [REDACTED:password]"
