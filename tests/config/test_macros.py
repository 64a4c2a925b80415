"""The desk's macros are checked at start-up: names, both languages, placeholders, and
that none asks the customer for a secret or holds one; errors name the key."""
from __future__ import annotations

from pathlib import Path

import pytest
from mnemonic import Mnemonic

from config.desk import DeskConfigError, load_desk
from config.macros import MACRO_FIELDS, PLACEHOLDER
from config.settings import DEFAULT_DESK
from router.secrets.outbound_guard import asks_for_secret


def _desk_with(tmp_path: Path, macros: str) -> Path:
    path = tmp_path / "desk.toml"
    shipped = DEFAULT_DESK.read_text(encoding="utf-8")
    # The shipped macros are the file's last section: replaced by the test's own.
    path.write_text(shipped[:shipped.index("\n[macros.") + 1] + macros, encoding="utf-8")
    return path


def test_the_shipped_macros_are_in_both_languages_and_safe():
    desk = load_desk(DEFAULT_DESK)
    assert len(desk.macros) >= 5
    for name, macro in desk.macros.items():
        for text in (macro.zh, macro.en):
            assert asks_for_secret(text) is None, name
            assert {m.group(1) for m in PLACEHOLDER.finditer(text)} <= set(MACRO_FIELDS), name
        assert any("\u4e00" <= ch <= "\u9fff" for ch in macro.zh), f"{name}.zh is not Chinese"
        assert macro.en.isascii(), f"{name}.en is not English"


def test_a_desk_without_macros_is_valid(tmp_path):
    assert load_desk(_desk_with(tmp_path, "")).macros == {}


@pytest.mark.parametrize(("macros", "error"), [
    ('[macros.hello]\nen = "Hello {customer}"\nzh = "您好"\n',
     "macros.hello.en: unknown placeholder {customer}; a macro may use {customer_name}"),
    # str.format's attribute and index syntax is not a placeholder here: refused, never run.
    ('[macros.hello]\nen = "Hello {customer_name.__class__}"\nzh = "您好"\n', "macros.hello.en: has a brace"),
    ('[macros.hello]\nen = "Hello {0}"\nzh = "您好"\n', "macros.hello.en: unknown placeholder {0}"),
    ('[macros.hello]\nen = "Hello {customer_name"\nzh = "您好"\n', "macros.hello.en: has a brace"),
    ('[macros.hello]\nen = "Hello"\nzh = "您好 }"\n', "macros.hello.zh: has a brace"),
    ('[macros.hello]\nen = "Hello"\n', "macros.hello.zh: Field required"),
    ('[macros.hello]\nen = "   "\nzh = "您好"\n', "macros.hello.en: is empty"),
    ('[macros.hello]\nen = "Hello"\nzh = "您好"\nfr = "Bonjour"\n', "macros.hello.fr: Extra inputs"),
    ('[macros.Hello]\nen = "Hello"\nzh = "您好"\n', "macros.Hello: a macro's name is 1 to 40 lower-case"),
    # A macro the outbound guard would refuse at send is refused before any agent can pick it.
    ('[macros.verify]\nen = "To verify your wallet, please send us your 12-word recovery phrase."\nzh = "您好"\n',
     "macros.verify.en: asks the customer for a secret"),
    ('[macros.verify]\nen = "Hello"\nzh = "为了核实钱包，请把您的助记词发给我们。"\n',
     "macros.verify.zh: asks the customer for a secret"),
])
def test_a_bad_macro_is_refused_naming_its_key(tmp_path, macros, error):
    with pytest.raises(DeskConfigError) as refused:
        load_desk(_desk_with(tmp_path, macros))
    assert error in str(refused.value)


def test_a_macro_holding_a_secret_is_refused_and_the_error_does_not_quote_it(tmp_path):
    phrase = Mnemonic("english").generate(strength=128)
    with pytest.raises(DeskConfigError) as refused:
        load_desk(_desk_with(tmp_path, f'[macros.example]\nen = "Example wallet: {phrase}"\nzh = "您好"\n'))
    assert "macros.example.en: holds what reads as a secret (mnemonic)" in str(refused.value)
    words = phrase.split()
    assert not any(" ".join(words[i:i + 3]) in str(refused.value) for i in range(len(words) - 2))
