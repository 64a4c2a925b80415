"""Deliver one `Outbound` to the SMTP relay and say whether a retry can help.

A 5xx answer during the mail transaction (recipient, sender or content refused)
is permanent. 4xx answers, refused connections, timeouts and dropped
connections are transient. So are failures of our own set-up (login, TLS, a
relay that refuses us on connect): they are not a property of the message,
and the message should go out once the set-up is fixed.
"""
from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from email.utils import parseaddr

from channels.base import DeliveryResult, Outbound
from channels.email.compose import compose


class _SMTP(smtplib.SMTP):
    """smtplib.SMTP that keeps the server's answer to DATA (sendmail drops it)."""

    data_reply: tuple[int, bytes] | None = None

    def data(self, msg):
        self.data_reply = super().data(msg)
        return self.data_reply


def send(outbound: Outbound, *, host: str, port: int, from_addr: str, from_name: str = "",
         username: str | None = None, password: str | None = None, starttls: bool = False,
         timeout: float = 20.0) -> DeliveryResult:
    """Relay one message; never raises for delivery problems, the result says what happened."""
    try:
        msg = compose(outbound, from_addr=from_addr, from_name=from_name)
    except ValueError as exc:
        return DeliveryResult(ok=False, permanent=True, detail=f"cannot compose: {exc}")
    try:
        code, reply = _deliver(msg, host, port, from_addr, parseaddr(outbound.recipient)[1],
                               username, password, starttls, timeout)
    except smtplib.SMTPRecipientsRefused as exc:
        code, reply = next(iter(exc.recipients.values()), (-1, b"recipient refused"))
        return _refused(code, reply, "recipient refused")
    except (smtplib.SMTPAuthenticationError, smtplib.SMTPConnectError) as exc:
        return DeliveryResult(ok=False, detail=f"relay set-up failed: {exc.smtp_code} {_text(exc.smtp_error)}")
    except smtplib.SMTPResponseException as exc:
        return _refused(exc.smtp_code, exc.smtp_error, type(exc).__name__)
    except (smtplib.SMTPException, OSError) as exc:
        return DeliveryResult(ok=False, detail=f"relay unreachable: {type(exc).__name__}: {exc}")
    return DeliveryResult(ok=True, detail=f"{code} {_text(reply)}")


def _deliver(msg: EmailMessage, host: str, port: int, from_addr: str, to_addr: str,
             username: str | None, password: str | None, starttls: bool, timeout: float) -> tuple[int, bytes]:
    """Run one SMTP session; returns the server's answer to the message data."""
    with _SMTP(host, port, timeout=timeout) as smtp:
        if starttls:
            smtp.starttls(context=ssl.create_default_context())
        if username:
            smtp.login(username, password or "")
        refused = smtp.send_message(msg, from_addr=from_addr, to_addrs=[to_addr])
        if refused:  # Only reached when some of several recipients failed; kept for safety.
            raise smtplib.SMTPRecipientsRefused(refused)
        return smtp.data_reply or (250, b"accepted")


def _refused(code: int, reply: bytes | str, what: str) -> DeliveryResult:
    permanent = 500 <= code < 600
    return DeliveryResult(ok=False, permanent=permanent, detail=f"{what}: {code} {_text(reply)}")


def _text(reply: bytes | str) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)
