"""One mail's SMTP transaction on an open connection: the envelope (MAIL, RCPT, DATA), then
the data and its answer.

When the relay's EHLO offers PIPELINING (RFC 2920) the three envelope commands go out in
one write and their three replies are read in order; otherwise each waits for the last
one's reply. Either way the data goes out only after DATA's 354, so a relay never has a
mail before every earlier mail's answer is in: the caller's one-mail window holds. A
refusal fails this mail alone and leaves the session usable; a lost connection, or a 421
(the relay is closing it, RFC 5321 3.8), raises `Dropped`.
"""
from __future__ import annotations

import logging
import re
import smtplib

from channels.base import DeliveryResult

log = logging.getLogger(__name__)

_LEADING_DOT = re.compile(rb"^\.", re.MULTILINE)
_NOT_IN_A_PATH = re.compile(r"[\x00-\x20<>\x7f-\U0010ffff]")
_STAGES = ("sender refused", "recipient refused", "data refused")
_WANTED = ((250,), (250, 251), (354,))


class Dropped(Exception):
    """The connection went away during a mail; `offered` when the relay may have its data."""

    def __init__(self, result: DeliveryResult, offered: bool) -> None:
        super().__init__(result.detail)
        self.result, self.offered = result, offered


def envelope(from_addr: str, to_addr: str) -> bytes:
    """The MAIL, RCPT and DATA lines for one mail; ValueError for an address that SMTP
    without extensions cannot carry (not ASCII, spaces, line breaks, angle brackets)."""
    for address in (from_addr, to_addr):
        if _NOT_IN_A_PATH.search(address):
            raise ValueError(f"not an address SMTP can carry: {address!r}")
    return b"MAIL FROM:<%s>\r\nRCPT TO:<%s>\r\nDATA\r\n" % (from_addr.encode(), to_addr.encode())


def deliver(smtp: smtplib.SMTP, commands: bytes, data: bytes, pipelining: bool) -> DeliveryResult:
    """Send one mail whose `envelope` is `commands` and whose wire form is `data`."""
    replies = _pipelined(smtp, commands) if pipelining else _lock_step(smtp, commands)
    refused = next((i for i, (code, _) in enumerate(replies) if code not in _WANTED[i]), None)
    if refused is None:
        return _data(smtp, data)
    code, reply = replies[refused]
    if len(replies) == 3 and replies[2][0] == 354:
        # RFC 2920 3.1: DATA accepted although the transaction failed before it (no valid
        # recipient). A lone dot ends it; the relay has no recipient to deliver it to.
        log.warning("relay accepted DATA after refusing the transaction (%s %s); ended empty", code, _text(reply))
        _exchange(smtp, b".\r\n", offered=False)
    _reset(smtp)
    return _refused(code, reply, _STAGES[refused])


def _pipelined(smtp: smtplib.SMTP, commands: bytes) -> list[tuple[int, bytes]]:
    """All three commands in one write, then all three replies: after a refusal the later
    commands are answered too (usually 503 or 554), and must be read."""
    _send(smtp, commands, offered=False)
    return [_read(smtp, stage, offered=False) for stage in _STAGES]


def _lock_step(smtp: smtplib.SMTP, commands: bytes) -> list[tuple[int, bytes]]:
    """Each command after the last one's reply, stopping at the first refusal."""
    replies = []
    for line, stage, wanted in zip(commands.splitlines(keepends=True), _STAGES, _WANTED, strict=True):
        replies.append(_exchange(smtp, line, offered=False, stage=stage))
        if replies[-1][0] not in wanted:
            break
    return replies


def _data(smtp: smtplib.SMTP, data: bytes) -> DeliveryResult:
    """The mail's data, dot-stuffed (RFC 5321 4.5.2), and the relay's answer to it. From here
    the relay may hold the mail even if we never hear its answer."""
    stuffed = _LEADING_DOT.sub(b"..", data)
    if not stuffed.endswith(b"\r\n"):
        stuffed += b"\r\n"
    code, reply = _exchange(smtp, stuffed + b".\r\n", offered=True, stage="data refused")
    if code == 250:
        return DeliveryResult(ok=True, detail=f"{code} {_text(reply)}")
    _reset(smtp)
    return _refused(code, reply, "data refused")


def _exchange(smtp: smtplib.SMTP, line: bytes, *, offered: bool, stage: str = "data refused") -> tuple[int, bytes]:
    _send(smtp, line, offered)
    return _read(smtp, stage, offered)


def _send(smtp: smtplib.SMTP, line: bytes, offered: bool) -> None:
    try:
        smtp.send(line)
    except (smtplib.SMTPException, OSError) as exc:
        raise _lost(exc, offered) from exc


def _read(smtp: smtplib.SMTP, stage: str, offered: bool) -> tuple[int, bytes]:
    try:
        code, reply = smtp.getreply()
    except (smtplib.SMTPException, OSError) as exc:
        raise _lost(exc, offered) from exc
    if code == 421 or code < 0:  # the relay is closing the connection, or talks nonsense
        raise Dropped(_refused(code, reply, stage), offered)
    return code, reply


def _reset(smtp: smtplib.SMTP) -> None:
    """RSET after a failed transaction, so the next mail starts clean."""
    try:
        smtp.rset()
    except (smtplib.SMTPException, OSError) as exc:
        log.info("relay dropped the connection after a refusal: %s", exc)
        smtp.close()  # the next mail finds it closed and opens a new one


def _lost(exc: Exception, offered: bool) -> Dropped:
    return Dropped(DeliveryResult(ok=False, detail=f"relay unreachable: {type(exc).__name__}: {exc}"), offered)


def _refused(code: int, reply: bytes | str, what: str) -> DeliveryResult:
    permanent = 500 <= code < 600
    return DeliveryResult(ok=False, permanent=permanent, detail=f"{what}: {code} {_text(reply)}")


def _text(reply: bytes | str) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)
