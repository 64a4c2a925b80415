"""Loosely written secrets (router/secrets/redact_loose.py, issue 21): passwords quoted after
"tried" or "my password is", in English and Chinese; hex keys split over lines or
grouped with spaces when named as keys; transaction hashes and addresses kept."""
from __future__ import annotations

import pytest

from router.secrets.redact import redact

KEY = "4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318"
ADDRESS = "0x52908400098527886E0F7030069857D2E4169EE7"


@pytest.mark.parametrize(("text", "values"), [
    ("can't log in. tried 'Sunflower88' and 'sunflower88', both say incorrect", ["Sunflower88", "sunflower88"]),
    ('tried "hunter22", "Hunter22" then "HUNTER22", password incorrect every time',
     ["hunter22", "Hunter22", "HUNTER22"]),
    ("我试了“abc12345”和“Abc12345”都提示密码错误", ["abc12345", "Abc12345"]),
    ("my password is 'moonlight' and it still fails to unlock", ["moonlight"]),
])
def test_a_quoted_password_attempt_is_redacted_every_value(text, values):
    found = redact(text)
    assert found.kinds == ("password",)
    for value in values:
        assert value not in found.text
    assert found.text.count("[REDACTED:password]") == len(values)


def test_a_quoted_button_name_or_a_quote_without_a_login_is_kept():
    for text in ("I tried the 'Forgot password' button", "I used 'Max' on the swap page and got 12 USDT"):
        assert redact(text).text == text


@pytest.mark.parametrize("text", [
    f"private key:\n{KEY[:32]}\n{KEY[32:]}",
    "my private key is " + " ".join(KEY[i:i + 4] for i in range(0, 64, 4)),
    f"这是我的私钥 {KEY[:20]}\n{KEY[20:44]}\n{KEY[44:]}",
])
def test_a_named_hex_key_in_pieces_is_redacted(text):
    found = redact(text)
    assert found.kinds == ("private_key",)
    assert KEY[:16] not in found.text and KEY[-16:] not in found.text


@pytest.mark.parametrize("text", [
    f"txid:\n{KEY[:32]}\n{KEY[32:]}",
    f"tx hash 0x{KEY} sent to {ADDRESS}",
    f"private key question: how do I export it? my address is {ADDRESS}",
])
def test_tx_hashes_and_addresses_stay(text):
    assert redact(text).text == text
