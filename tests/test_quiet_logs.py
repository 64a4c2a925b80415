"""One log line per event that matters (accepted, routed, acknowledged, failed); library
chatter (aiosmtpd's lines per mail, its start-up self-check) only at DEBUG (issue 22)."""
from __future__ import annotations

import logging
import re
import smtplib

from channels.base import Inbound
from cli_process import start, stop
from router.queue.drain import drain_inbound
from router.queue.intake import accept
from support import free_port, make_email, wait_for

LOG_LINE = re.compile(r"^\d{4}-\d\d-\d\d [\d:,]+ (DEBUG|INFO|WARNING|ERROR|CRITICAL) (\S+): (.*)$")


def _mail_through_smtp(tmp_path, db_url: str, level: str) -> list[tuple[str, str, str]]:
    """Start `msgrouter smtp`, send it one mail, stop it: its log lines (level, logger, text)."""
    port, log = free_port(), tmp_path / "smtp.log"
    proc = start("smtp", cwd=tmp_path, log=log, MSGROUTER_DATABASE_URL=db_url, MSGROUTER_SMTP_PORT=str(port),
                 MSGROUTER_LOG_LEVEL=level)
    try:
        wait_for(lambda: "SMTP listening" in log.read_text(), timeout=60, what="msgrouter smtp to listen")
        with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
            client.send_message(make_email(sender="wei@example.com"))
        wait_for(lambda: "accepted email message" in log.read_text(), timeout=20, what="the accepted line")
    finally:
        stop(proc)
    return [m.groups() for m in map(LOG_LINE.match, log.read_text().splitlines()) if m]


def test_a_mail_in_is_one_log_line_at_the_default_level(db_url, broker, tmp_path):
    lines = _mail_through_smtp(tmp_path, db_url, "INFO")
    assert [(level, logger) for level, logger, _ in lines] == [("INFO", "router.queue.intake")], lines
    assert re.fullmatch(r"accepted email message \d+", lines[0][2])


def test_aiosmtpd_chatter_is_there_at_debug(db_url, broker, tmp_path):
    lines = _mail_through_smtp(tmp_path, db_url, "DEBUG")
    chatter = [text for _, logger, text in lines if logger == "mail.log"]
    assert any("Connection lost during _handle_client()" in text for text in chatter), "the self-check"
    assert any("recip: support@pinecone.example" in text for text in chatter)


def test_the_pipeline_logs_routed_and_acknowledged(db_url, broker, caplog):
    caplog.set_level(logging.INFO)
    accepted = accept(Inbound(channel="email", external_id="<quiet-1@example.com>", sender="wei@example.com",
                              subject="提现一直未到账", text="你好，我昨天提现的 500 USDT 到现在还没有到账。"))
    drain_inbound()
    said = [r.getMessage() for r in caplog.records if r.name.startswith("router.")]
    message = accepted.message_id
    assert f"accepted email message {message}" in said
    assert any(re.fullmatch(rf"message {message} routed to pool transactions by routing\[\d+\] .*", s)
               for s in said), said
    assert any(re.fullmatch(rf"message {message} acknowledged in zh \(outbound message \d+\)", s)
               for s in said), said
