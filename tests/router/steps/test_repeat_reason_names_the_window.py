"""The repeat step's reason names the desk's same-sender window the way the desk file
writes it, in the largest whole unit ("1d", "1h", "90m", "45s"), so an agent reading why a
mail joined a case sees the rule that joined it: after a case stored earlier, and after a
case the same batch opens."""
from __future__ import annotations

import pytest

from channels.email import parse
from config.settings import DEFAULT_DESK
from pipeline_support import conversation, inbound_row, ingest
from router.queue.drain import drain_inbound
from router.queue.intake import accept
from support import make_email

# The desk file's window -> how the reason writes it.
WINDOWS = {"1d": "1d", "1h": "1h", "90m": "90m", "120m": "2h"}


@pytest.fixture(params=list(WINDOWS))
def window(request, tmp_path, monkeypatch) -> str:
    """The demo desk with the same-sender window of the test's parameter; yields how the
    reason should write it."""
    text = DEFAULT_DESK.read_text(encoding="utf-8")
    assert 'same_sender_window = "1h"' in text
    path = tmp_path / "desk-window.toml"
    path.write_text(text.replace('same_sender_window = "1h"', f'same_sender_window = "{request.param}"'),
                    encoding="utf-8")
    monkeypatch.setenv("MSGROUTER_DESK_CONFIG", str(path))  # read when db_url resets the caches
    return WINDOWS[request.param]


def _repeat_reasons(conversation_id: int) -> list[dict]:
    return [r for r in conversation(conversation_id).reasons if r["step"] == "repeat"]


def test_a_repeat_after_a_stored_case_names_the_window(window, db_url, broker):
    first = ingest(make_email(sender="ann@example.com", subject="Withdrawal missing",
                              text="My withdrawal of 200 USDT has not arrived."))
    second = ingest(make_email(sender="ann@example.com", subject="Also: login",
                               text="And I cannot log in on my tablet either."))
    cid = first.conversation_id
    assert second.conversation_id == cid
    assert [(r["message_id"], r["reason"]) for r in _repeat_reasons(cid)] == [
        (second.id, f"the sender opened #{cid} within the last {window} and it is still open: joins it")]


def test_a_repeat_in_the_batch_that_opens_the_case_names_the_window(window, db_url, broker):
    first = accept(parse(make_email(sender="ann@example.com", subject="Withdrawal missing",
                                    text="My withdrawal of 200 USDT has not arrived.").as_bytes()))
    second = accept(parse(make_email(sender="ann@example.com", subject="Also: login",
                                     text="And I cannot log in on my tablet either.").as_bytes()))
    drain_inbound()  # one batch: the second mail follows the first into the case it opens
    cid = inbound_row(first.message_id).conversation_id
    assert inbound_row(second.message_id).conversation_id == cid
    said = f"the sender wrote within {window} of opening the case of message {first.message_id}: joins it"
    assert [(r["message_id"], r["reason"]) for r in _repeat_reasons(cid)] == [(second.message_id, said)]
