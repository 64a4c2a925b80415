"""redact_message, which the triage commands use on every record of a JSONL file: the
body and the subject are both redacted, and the kinds found are given once each, the
body's first. And a password named by a bare word and a space ("my password X") is still
a password, where "password-reset" names none."""
from __future__ import annotations

from mnemonic import Mnemonic

from router.secrets.redact import redact, redact_message

PHRASE = Mnemonic("english").to_mnemonic(bytes.fromhex("0f1e2d3c4b5a69788796a5b4c3d2e1f0"))


def test_both_the_body_and_the_subject_are_redacted_and_the_kinds_listed_once():
    body = f"my seed phrase is {PHRASE} and my password: Tr0ub4dor&3"
    subject = "password: Zx9!kq2#Lm and the phrase again"
    text, title, kinds = redact_message(body, subject)
    assert "Tr0ub4dor&3" not in text and PHRASE.split()[3] not in text and "[REDACTED:mnemonic]" in text
    assert title == "password: [REDACTED:password] and the phrase again"
    assert kinds == ("mnemonic", "password")


def test_a_clean_subject_adds_no_kind_and_stays_as_it_is():
    text, title, kinds = redact_message("password: Tr0ub4dor&3", "Cannot log in")
    assert (text, title, kinds) == ("password: [REDACTED:password]", "Cannot log in", ("password",))


def test_a_secret_in_the_subject_alone_is_found():
    assert redact_message("Please help", "password: Tr0ub4dor&3")[2] == ("password",)


def test_a_password_after_the_bare_word_and_a_space_or_tab():
    assert redact("my password Tr0ub4dor&3 does not work").text == "my password [REDACTED:password] does not work"
    assert redact("password\tTr0ub4dor&3 fails").kinds == ("password",)
    assert redact("password-reset link Tr0ub4dor&3").kinds == ()
