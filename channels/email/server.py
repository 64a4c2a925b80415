"""The SMTP server (aiosmtpd) that takes customers' mail in.

It answers 250 only once the message is committed; 451 when it cannot be stored (the
sender will retry); 552 over the size limit (aiosmtpd enforces `data_size_limit`);
550 for a recipient that is none of the desk's mailboxes.
"""
from __future__ import annotations

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from channels import email as email_channel
from config.desk import get_desk
from config.settings import Settings, get_settings
from router.intake import accept

log = logging.getLogger(__name__)
# Storing blocks on the database; these threads wait there, so the more sessions can wait
# at once, the more of them intake commits together in one transaction (group commit).
INTAKE_THREADS = 32
_intake = ThreadPoolExecutor(INTAKE_THREADS, thread_name_prefix="smtp-intake")  # one per process


class IntakeHandler:
    def __init__(self, mailboxes: frozenset[str]) -> None:
        self.mailboxes = mailboxes

    async def handle_RCPT(self, server: SMTP, session: Session, envelope: Envelope,  # noqa: N802
                          address: str, rcpt_options: list[str]) -> str:
        if address.lower() not in self.mailboxes:
            return "550 5.1.1 No such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:  # noqa: N802
        raw = envelope.original_content or envelope.content or b""
        if isinstance(raw, str):
            raw = raw.encode("utf-8", errors="surrogateescape")
        loop = asyncio.get_running_loop()
        try:
            # aiosmtpd keeps an empty MAIL FROM as "<>": the parser reads it as a bounce.
            inbound = email_channel.parse(raw, envelope_from=envelope.mail_from or "",
                                          envelope_to=(envelope.rcpt_tos or [""])[0])
            # Storing is blocking database work: keep the event loop free for other clients.
            # Concurrent sessions' mails are committed together; each 250 follows its commit.
            accepted = await loop.run_in_executor(_intake, accept, inbound)
        except Exception as exc:  # noqa: BLE001 - not stored: the sender must keep it and retry
            log.error("could not store a message from %s: %s", envelope.mail_from, type(exc).__name__)
            return "451 4.3.0 Temporary failure storing the message, please retry"
        if accepted.duplicate:
            return f"250 2.0.0 Already have it as message {accepted.message_id}"
        return f"250 2.0.0 Queued as message {accepted.message_id}"


def make_controller(settings: Settings | None = None) -> Controller:
    settings = settings or get_settings()
    handler = IntakeHandler(get_desk().mailbox_addresses())
    return Controller(handler, hostname=settings.smtp_host, port=settings.smtp_port,
                      data_size_limit=settings.smtp_max_message_bytes,
                      server_hostname=settings.mail_domain, ident="msgrouter ESMTP",
                      # Customers' clients send UTF-8 addresses and 8-bit bodies.
                      enable_SMTPUTF8=True, decode_data=False)
