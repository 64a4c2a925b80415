"""The outbound guard's one excuse for 'enter/type your password': typing it into our own
app. Typing a secret anywhere else (a link, or nowhere named) is refused, and the refusal
tells the agent what was wrong, quoting no more than 200 characters of their clause."""
from __future__ import annotations

import pytest

from router.secrets.outbound_guard import OutboundRefused, check_reply

TYPED_ELSEWHERE = [
    "Type your recovery phrase at www.wallet-restore.io to continue.",  # a link, no app
    "Enter your seed phrase here.",                                      # no app named
    "Please enter your password in the app at https://pinecone-login.example.top",  # app, but a link
]


@pytest.mark.parametrize("text", TYPED_ELSEWHERE)
def test_typing_a_secret_anywhere_but_our_app_is_refused(text):
    with pytest.raises(OutboundRefused):
        check_reply(text)


def test_the_refusal_says_why_and_quotes_at_most_200_characters():
    clause = "Please send your seed phrase " + "and your details " * 20 + "today"
    with pytest.raises(OutboundRefused) as refused:
        check_reply(clause + ".")
    message = str(refused.value)
    assert message.startswith("reply refused") and "asks the customer for a secret" in message
    assert repr(clause[:200]) in message and repr(clause[:201]) not in message
