"""`msgrouter sink` prints every mail it receives as a person reads it: RFC 2047 headers
decoded, the charset named, a base64 or quoted-printable body decoded (issue 22)."""
from __future__ import annotations

import smtplib
from email.message import EmailMessage

from channels.email.sink import describe
from cli_process import start, stop
from support import free_port, make_email, wait_for

SUBJECT = "提现一直未到账"
TEXT = "你好，我昨天提现的 500 USDT 到现在还没有到账，请帮忙查一下。"


def _chinese_mail() -> EmailMessage:
    msg = make_email(sender="wei@example.com", name="王伟", subject=SUBJECT, message_id="<q2@example.com>",
                     in_reply_to="<q1@example.com>", references=["<q0@example.com>", "<q1@example.com>"],
                     headers={"Auto-Submitted": "auto-replied"})
    msg.set_content(TEXT, charset="utf-8", cte="base64")
    return msg


def test_sink_prints_a_chinese_mail_decoded(tmp_path):
    msg = _chinese_mail()
    raw = msg.as_bytes()
    # What travels is encoded: a sink printing raw lines would show none of the Chinese.
    assert b"=?utf-8?" in raw and SUBJECT.encode() not in raw and TEXT.encode() not in raw
    port, log = free_port(), tmp_path / "sink.log"
    proc = start("sink", "--port", str(port), cwd=tmp_path, log=log)
    try:
        wait_for(lambda: "sink listening" in log.read_text(), timeout=60, what="the sink to listen")
        with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
            client.send_message(msg)
        printed = wait_for(lambda: TEXT in log.read_text(encoding="utf-8") and log.read_text(encoding="utf-8"),
                           timeout=20, what="the decoded mail on the sink's output")
    finally:
        stop(proc)
    lines = printed.splitlines()
    for line in (f"Subject: {SUBJECT}", "From: 王伟 <wei@example.com>", "To: support@pinecone.example",
                 "Message-ID: <q2@example.com>", "In-Reply-To: <q1@example.com>",
                 "References: <q0@example.com> <q1@example.com>", "Auto-Submitted: auto-replied",
                 "Charset: utf-8 (text/plain, base64)", TEXT):
        assert line in lines, f"{line!r} not printed:\n{printed}"


def test_the_sink_listens_where_msgrouter_sends_by_default(tmp_path):
    port, log = free_port(), tmp_path / "sink.log"
    proc = start("sink", cwd=tmp_path, log=log, MSGROUTER_RELAY_PORT=str(port))
    try:
        said = wait_for(lambda: "sink listening" in log.read_text() and log.read_text(), timeout=60,
                        what="the sink to listen")
        with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
            client.send_message(_chinese_mail())
        wait_for(lambda: TEXT in log.read_text(encoding="utf-8"), timeout=20, what="the mail on the sink's output")
    finally:
        stop(proc)
    assert f"sink listening on 127.0.0.1:{port}" in said


def test_the_text_part_of_a_multipart_mail_in_gb2312_is_decoded():
    msg = make_email(subject="密码已修改")
    msg.set_content("密码已修改", charset="gb2312", cte="quoted-printable")
    msg.add_alternative("<p>密码已修改</p>", subtype="html", charset="utf-8")
    msg.add_attachment(b"%PDF-1.4", maintype="application", subtype="pdf", filename="收据.pdf")
    printed = describe(msg.as_bytes()).splitlines()
    assert "Subject: 密码已修改" in printed
    assert "Charset: gb2312 (text/plain, quoted-printable)" in printed
    assert "密码已修改" in printed and "<p>密码已修改</p>" not in printed
    assert "Attachments: 收据.pdf (application/pdf)" in printed
