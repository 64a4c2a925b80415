"""The edges of a password's value: how long it must be with and without a word linking
it to its cue, what a quoted value may be, which marks end it, and when a bare word
after a label ("Password: sunshine") counts. The values are made up."""
from __future__ import annotations

import pytest

from router.secrets.redact import redact


@pytest.mark.parametrize(("text", "expected"), [
    # A quoted value counts from three characters on.
    ('PIN: "739"', 'PIN: "[REDACTED:password]"'),
    # With a linking word or mark, four characters are enough...
    ("password: 7F3X", "password: [REDACTED:password]"),
    # ... without one, six: "PW Qr7zk2" is a password given in shorthand.
    ("PW Qr7zk2 please", "PW [REDACTED:password] please"),
    # A bare word is a password when a label mark names it as a form field: a colon after
    # a longer label, a full-width colon, an equals sign.
    ("Password for the shop: marigold\nthanks", "Password for the shop: [REDACTED:password]\nthanks"),
    ("Password\uff1amarigold", "Password\uff1a[REDACTED:password]"),
    ("password = marigold", "password = [REDACTED:password]"),
])
def test_a_password_at_the_edge_of_its_form_goes(text: str, expected: str) -> None:
    result = redact(text)
    assert result.text == expected
    assert result.kinds == ("password",)


@pytest.mark.parametrize("text", [
    'my password is "incorrect"',        # a quoted describing word is not a password
    "my password is wrong!",             # exclamation marks end the value, they are not symbols
    "please pass v2.1 to the team",      # four characters after a bare cue are too few
    "my password changes every month",   # a bare word with no linking word
    "pin: sunshine",                     # a bare word after a short cue ("pin", "pw", "pass")
])
def test_a_mention_at_the_edge_of_a_password_stays(text: str) -> None:
    result = redact(text)
    assert result.kinds == ()
    assert result.text == text
