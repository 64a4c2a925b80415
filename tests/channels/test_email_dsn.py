"""Delivery status reports read from a bounce: only permanent failures (Action: failed,
5.x.x), with the Message-ID of the mail that bounced, from returned headers or the whole
returned message."""
from __future__ import annotations

from channels.email import parse

HEAD = ("From: MAILER-DAEMON@mx.example.net\r\nTo: support@pinecone.example\r\nSubject: failure\r\n"
        "Message-ID: <dsn@mx.example.net>\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\r\n\r\n'
        "--B\r\nContent-Type: text/plain\r\n\r\nCould not deliver.\r\n\r\n"
        "--B\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example.net\r\n\r\n")


def _report(recipients: str, returned: str) -> dict | None:
    return parse((HEAD + recipients + "\r\n" + returned + "--B--\r\n").encode()).delivery_report


def test_permanent_failures_and_the_returned_message_id():
    report = _report("Final-Recipient: rfc822; Bob@Example.com\r\nAction: failed\r\nStatus: 5.1.1 (unknown)\r\n\r\n"
                     "Final-Recipient: rfc822; carol@example.com\r\nAction: delayed\r\nStatus: 4.4.1\r\n",
                     "--B\r\nContent-Type: text/rfc822-headers\r\n\r\nMessage-ID: <ours.1@msgrouter.local>\r\n"
                     "To: bob@example.com\r\n\r\n")
    assert report == {"original_message_id": "<ours.1@msgrouter.local>", "permanent": ["bob@example.com"],
                      "statuses": {"bob@example.com": "5.1.1"}}


def test_the_whole_returned_message_names_it_too():
    report = _report("Final-Recipient: rfc822; bob@example.com\r\nAction: failed\r\nStatus: 5.2.2\r\n",
                     "--B\r\nContent-Type: message/rfc822\r\n\r\nFrom: support@pinecone.example\r\n"
                     "Message-ID: <ours.2@msgrouter.local>\r\n\r\nHello\r\n")
    assert report["original_message_id"] == "<ours.2@msgrouter.local>"
    assert report["permanent"] == ["bob@example.com"]


def test_a_delay_is_no_permanent_failure_and_plain_mail_has_no_report():
    report = _report("Final-Recipient: rfc822; bob@example.com\r\nAction: delayed\r\nStatus: 4.4.7\r\n", "")
    assert report is not None and report["permanent"] == []
    assert parse(b"From: a@example.com\r\nSubject: hi\r\n\r\nbody").delivery_report is None
