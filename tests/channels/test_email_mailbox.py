"""mailbox_key: the one mailbox every spelling of an address reaches, which the
acknowledgement cap counts by."""
from __future__ import annotations

import pytest

from channels.email import sender_key
from channels.email.mailbox import mailbox_key

DOTLESS = ("gmail.com", "googlemail.com")
ALIASES = {"googlemail.com": "gmail.com"}


@pytest.mark.parametrize(("address", "key"), [
    ("x@example.com", "x@example.com"),
    ("  X@Example.COM ", "x@example.com"),                 # case and blanks
    ("x+1@example.com", "x@example.com"),                  # sub-address
    ("x+a+b@example.com", "x@example.com"),
    ("first.last@example.com", "first.last@example.com"),  # dots count outside the dotless list
    ("first.last+news@example.com", "first.last@example.com"),
    ("First.Last+1@GMail.com", "firstlast@gmail.com"),     # dots do not count at gmail
    ("f.i.r.s.t.last@googlemail.com", "firstlast@gmail.com"),  # ... nor at its other name
    ("x@example.com.", "x@example.com"),                   # the root dot
    ("+x@example.com", "+x@example.com"),                  # a local part that is all tag stays
    ('"x+1"@example.com', '"x+1"@example.com'),            # quoted: taken as written
    ("公司@例子.公司", "公司@xn--fsqu00a.xn--55qx5d"),          # IDN: one form for both spellings
    ("公司@xn--fsqu00a.xn--55qx5d", "公司@xn--fsqu00a.xn--55qx5d"),
    ("not-an-address", "not-an-address"),
])
def test_mailbox_key(address: str, key: str) -> None:
    assert mailbox_key(address, DOTLESS, ALIASES) == key


def test_the_desk_names_the_dotless_providers() -> None:
    # The shipped desk's lists (config/desk.toml [acknowledgement]) are what the channel uses.
    assert sender_key("A.B+x@googlemail.com") == "ab@gmail.com"
    assert sender_key("a.b+x@example.com") == "a.b@example.com"
