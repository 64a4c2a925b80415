"""Tests for channels.email.transaction through `relay.send_many`, against `StrictRelay`, a
real SMTP server on loopback that holds the client to RFC 2920: offering PIPELINING it
answers an envelope only once the whole group is in (a client that waits for each reply
times out), not offering it it hangs up on a client that sends ahead. Each test runs a
batch over one session and counts what the relay got by Message-ID."""
from __future__ import annotations

import pytest

from channels.base import Outbound
from channels.email.relay import send_many
from strict_relay import StrictRelay

DESK = "support@desk.example"
ACK = "您好！\n\n我们已收到您的消息。\n"


def _mails(*recipients: str, text: str = ACK) -> list[Outbound]:
    return [Outbound(channel="email", recipient=r, subject=f"Re: question {i}", text=text,
                     message_id=f"<msgrouter.{i}.m{i}@desk.example>", language="zh")
            for i, r in enumerate(recipients)]


def _send(relay: StrictRelay, mails: list[Outbound]):
    # The timeout only bounds a failure (a lock-step client against a relay that holds its
    # replies until the group is in); no test waits for it to pass.
    return send_many(mails, host="127.0.0.1", port=relay.port, from_addr=DESK, timeout=5)


def _ids(mails: list[Outbound], *indexes: int) -> dict[str, int]:
    return {mails[i].message_id: 1 for i in indexes}


@pytest.mark.parametrize("pipelining", [True, False], ids=["pipelined", "lock-step"])
def test_refused_recipients_in_the_middle_fail_alone_and_the_session_goes_on(pipelining):
    mails = _mails("ann@example.com", "unknown@example.com", "bob@example.com", "busy@example.com",
                   "cy@example.com")
    with StrictRelay(pipelining=pipelining) as relay:
        results = _send(relay, mails)
    assert [(r.ok, r.permanent) for r in results] == [(True, False), (False, True), (True, False),
                                                      (False, False), (True, False)]
    assert "recipient refused: 550" in results[1].detail and "recipient refused: 451" in results[3].detail
    assert relay.received() == _ids(mails, 0, 2, 4)
    assert relay.connections == 1 and relay.out_of_sync == []


def test_a_relay_that_does_not_offer_pipelining_hears_one_command_at_a_time():
    mails = _mails("ann@example.com", "bob@example.com")
    with StrictRelay(pipelining=False) as relay:
        results = _send(relay, mails)
    assert relay.out_of_sync == [], "commands sent before the last one's reply"
    assert all(r.ok for r in results) and relay.received() == _ids(mails, 0, 1)


def test_the_data_is_dot_stuffed_and_arrives_as_written():
    text = "Line one\n.\n..two dots\n.three\n"  # plain ASCII: sent 7bit, dots and all
    [mail] = _mails("ann@example.com", text=text)
    with StrictRelay() as relay:
        [result] = _send(relay, [mail])
    [(_, _, data)] = relay.mails
    assert result.ok
    assert data.split(b"\r\n\r\n", 1)[1] == b"Line one\r\n.\r\n..two dots\r\n.three\r\n"


@pytest.mark.parametrize("pipelining", [True, False], ids=["pipelined", "lock-step"])
def test_a_drop_before_the_data_sends_that_mail_again_on_a_new_connection(pipelining):
    mails = _mails("ann@example.com", "bob@example.com", "cy@example.com", "dan@example.com")
    with StrictRelay(pipelining=pipelining, hang_up_on=("cy@example.com",)) as relay:
        results = _send(relay, mails)
    assert all(r.ok for r in results)
    assert relay.received() == _ids(mails, 0, 1, 2, 3)
    assert [(n, r) for n, r, _ in relay.mails] == [(1, "ann@example.com"), (1, "bob@example.com"),
                                                   (2, "cy@example.com"), (2, "dan@example.com")]


@pytest.mark.parametrize("pipelining", [True, False], ids=["pipelined", "lock-step"])
def test_a_drop_after_the_data_leaves_that_mail_to_the_backoff(pipelining):
    mails = _mails("ann@example.com", "bob@example.com", "cy@example.com")
    with StrictRelay(pipelining=pipelining, hang_up_after_data=("bob@example.com",)) as relay:
        results = _send(relay, mails)
    assert [(r.ok, r.permanent) for r in results] == [(True, False), (False, False), (True, False)]
    assert "unreachable" in results[1].detail
    # The relay has bob's mail but never said so: not sent again in this session.
    assert relay.received() == _ids(mails, 0, 1, 2) and relay.connections == 2


def test_data_accepted_after_every_recipient_was_refused_is_ended_by_a_lone_dot():
    mails = _mails("unknown@example.com", "ann@example.com")
    with StrictRelay(data_after_refusal=True) as relay:
        results = _send(relay, mails)
    assert (results[0].ok, results[0].permanent) == (False, True) and "550" in results[0].detail
    assert relay.empty_data == 1, "the refused mail's data was sent to a relay without a recipient"
    assert results[1].ok and relay.received() == _ids(mails, 1) and relay.connections == 1


def test_an_address_smtp_cannot_carry_fails_alone_for_good():
    mails = _mails("用户@example.com", "ann@example.com")
    with StrictRelay() as relay:
        results = _send(relay, mails)
    assert (results[0].ok, results[0].permanent) == (False, True) and "cannot compose" in results[0].detail
    assert results[1].ok and relay.received() == _ids(mails, 1)
