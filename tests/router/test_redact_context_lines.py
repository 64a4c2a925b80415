"""The lines around a secret that redaction reads: a Chinese phrase written without spaces
counts only when a naming word stands on its line, the two above or the two below (and
within REACH characters of each line's start); a password given as a bare word counts as
a form field only when nothing else follows it on its own line."""
from __future__ import annotations

import hashlib

import pytest
from mnemonic import Mnemonic

from router.secrets.redact import REACH, redact

# A made-up phrase: twelve characters drawn from the list by a fixed, invented entropy.
PHRASE = Mnemonic("chinese_simplified").to_mnemonic(bytes.fromhex("0c1d2e3f405162738495a6b7c8d9eafb"))
JOINED = PHRASE.replace(" ", "")
NAMING = "上面是我的助记词"
LONG_LINE = "请帮我看看这个钱包为什么余额是零," * 25    # 425 characters, no naming word
KEY_HEX = hashlib.sha256(b"made-up key for a test").hexdigest()
FILLER = "please check this for me " * 7                # 175 characters, no naming word


def test_a_phrase_named_two_lines_below_across_a_blank_line_goes() -> None:
    # The blank line below is as common as the blank line above ("助记词如下:\n\n<phrase>").
    text = f"{JOINED}\n\n{NAMING}"
    assert redact(text).text == f"[REDACTED:mnemonic]\n\n{NAMING}"


@pytest.mark.parametrize("text", [
    f"助记词如下\n请帮我看看\n{JOINED}\n谢谢",
    f"请帮我看看\n{JOINED}\n谢谢\n{NAMING}",
])
def test_a_naming_word_two_lines_away_names_the_run(text: str) -> None:
    result = redact(text)
    assert result.kinds == ("mnemonic",)
    assert JOINED not in result.text


@pytest.mark.parametrize("text", [
    f"助记词如下\n请帮我看看\n谢谢\n{JOINED}",                 # three lines above
    f"助记词是什么\n\n\n\n\n{JOINED}",                          # far above, blank lines between
    f"{JOINED}\n请帮我看看\n谢谢\n{NAMING}",                    # three lines below
    f"{JOINED}\n\n\n{NAMING}",                                   # three below, blank lines between
    f"{JOINED}\n{LONG_LINE}{NAMING}\n谢谢",                     # below, but past REACH on its line
])
def test_a_naming_word_further_away_names_something_else(text: str) -> None:
    # An unnamed run of Han characters is prose, however random it looks
    # (test_redact.py::test_han_run_without_naming_is_prose_even_if_random_looking).
    assert len(LONG_LINE) > 2 * REACH
    result = redact(text)
    assert result.kinds == ()
    assert result.text == text


def test_a_bare_word_password_is_a_form_field_when_its_line_holds_nothing_else() -> None:
    # The field's line ends at its own line break, not at the last one within reach.
    assert redact("Password: marigold\nthanks\n").text == "Password: [REDACTED:password]\nthanks\n"
    assert redact("Password: marigold and more\nthanks\n").kinds == ()


@pytest.mark.parametrize("text", [
    f"hello\nprivate key: {FILLER}{KEY_HEX}",                # on its line, 175 characters back
    f"hi\nprivate key {FILLER}\nsee below\n{KEY_HEX}",       # two lines up, but past REACH
])
def test_a_key_named_further_back_than_reach_is_not_named(text: str) -> None:
    # A 64-hex that nothing names stays (a txid, far more often); the naming is read on the
    # lines just above and within REACH characters, not anywhere in a long message.
    result = redact(text)
    assert result.kinds == ()
    assert result.text == text


def test_a_key_named_two_lines_up_within_reach_goes() -> None:
    assert redact(f"private key\nsee below\n{KEY_HEX}").text == \
        "private key\nsee below\n[REDACTED:private_key]"


@pytest.mark.parametrize("text", [
    f"private key\nline one\nline two\n{KEY_HEX}",
    f"private key\n\n\n{KEY_HEX}",                            # blank lines count as lines
])
def test_a_key_named_three_lines_up_is_not_named(text: str) -> None:
    assert redact(text).text == text


def test_a_naming_on_a_later_line_does_not_name_the_hex_before_it() -> None:
    # Naming after a 64-hex counts on its own line only ("<hex> (that is my privkey)").
    txid = hashlib.sha256(b"a made-up transaction").hexdigest()
    text = f"{txid}\nAlso, is my private key safe?"
    assert redact(text).text == text


def test_a_redacted_key_names_nothing_after_it() -> None:
    txid = hashlib.sha256(b"a made-up transaction").hexdigest()
    assert redact(f"[REDACTED:private_key] {txid}").text == f"[REDACTED:private_key] {txid}"


def test_a_listed_key_shares_the_naming_of_the_key_before_it_up_to_the_list_gap() -> None:
    # The second key stands three lines below the first, 16 characters (LIST_GAP) after it,
    # with no naming between them: it is the list's next item, whatever follows it.
    second = hashlib.sha256(b"another made-up key").hexdigest()
    text = f"pk of my wallets:\n- {KEY_HEX}\n\n\n- other one: {second}\nwhich address do they open?"
    assert redact(text).text == ("pk of my wallets:\n- [REDACTED:private_key]\n\n\n- other one: "
                                 "[REDACTED:private_key]\nwhich address do they open?")
