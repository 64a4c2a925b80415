"""A readable SMTP sink for development (`msgrouter sink`): it stands in for the relay and
prints every mail it receives decoded, so an acknowledgement in Chinese with an RFC 2047
subject and a base64 body reads as the customer would see it."""
from __future__ import annotations

import sys
from email import message_from_bytes, policy
from email.message import MIMEPart
from typing import TextIO

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

# The headers that tell where a mail goes and how it threads, in the order printed.
HEADERS = ("From", "To", "Cc", "Subject", "Date", "Message-ID", "In-Reply-To", "References",
           "Auto-Submitted")


def _text_of(part: MIMEPart) -> str:
    try:
        return part.get_content()
    except (LookupError, UnicodeDecodeError):  # an unknown or lying charset: show what we can
        payload = part.get_payload(decode=True)
        return (payload if isinstance(payload, bytes) else b"").decode("utf-8", errors="replace")


def describe(raw: bytes, envelope_from: str = "", envelope_to: list[str] | None = None) -> str:
    """The mail as a person reads it: envelope, decoded headers, charset, the text part."""
    msg = message_from_bytes(raw, policy=policy.default)
    lines = [f"=== mail from {envelope_from or '<>'} to {', '.join(envelope_to or [])} ==="]
    for name in HEADERS:
        lines.extend(f"{name}: {' '.join(str(value).split())}" for value in msg.get_all(name) or ())
    body = msg.get_body(preferencelist=("plain", "html"))
    if body is None:
        lines += ["", "(no text part)"]
    else:
        lines.append(f"Charset: {body.get_content_charset() or 'us-ascii'} "
                     f"({body.get_content_type()}, {body.get('Content-Transfer-Encoding', '7bit')})")
        lines += ["", _text_of(body).rstrip("\n")]
    attachments = [f"{part.get_filename() or '(unnamed)'} ({part.get_content_type()})"
                   for part in msg.iter_attachments()]
    if attachments:
        lines += ["", "Attachments: " + ", ".join(attachments)]
    return "\n".join(lines) + "\n"


class PrintingHandler:
    """aiosmtpd handler: print each mail and take it."""

    def __init__(self, out: TextIO | None = None) -> None:
        self.out = out or sys.stdout

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:  # noqa: N802
        raw = envelope.original_content or envelope.content or b""
        if isinstance(raw, str):
            raw = raw.encode("utf-8", errors="surrogateescape")
        self.out.write(describe(raw, envelope.mail_from or "", list(envelope.rcpt_tos)) + "\n")
        self.out.flush()
        return "250 OK: printed"


def make_sink(host: str, port: int, out: TextIO | None = None) -> Controller:
    return Controller(PrintingHandler(out), hostname=host, port=port, enable_SMTPUTF8=True,
                      decode_data=False, ident="msgrouter sink")
