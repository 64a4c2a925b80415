"""The SMTP server (aiosmtpd) that takes customers' mail in.

It answers 250 only once the message is committed; 451 when it cannot be stored (the
sender will retry); 552 over the size limit (aiosmtpd enforces `data_size_limit`);
550 for a recipient that is none of the desk's mailboxes. Abuse limits (`limiter`): 421
on connect past the connections per IP, 452 past the recipients per message, 451 4.7.1
at MAIL past the messages per sender or IP in the window. No reply names an internal id.
"""
from __future__ import annotations

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache
from types import SimpleNamespace
from typing import cast

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from channels.email.limiter import SmtpLimiter, SmtpLimits
from channels.email.parse_pool import ParsePool
from config.desk import get_desk
from config.settings import Settings, get_settings
from router.queue.intake import accept

log = logging.getLogger(__name__)
# Storing blocks on the database; these threads wait there, so the more sessions can wait
# at once, the more of them intake commits together in one transaction (group commit).
INTAKE_THREADS = 32
_intake = ThreadPoolExecutor(INTAKE_THREADS, thread_name_prefix="smtp-intake")  # one per process
# New and redelivered mail hear the same: whether we had it, and under which row, is ours.
ACCEPTED = "250 2.0.0 Message accepted"


def _ip(session: Session) -> str:
    peer = session.peer
    return str(peer[0]) if isinstance(peer, tuple) and peer else str(peer or "")


class IntakeHandler:
    def __init__(self, mailboxes: frozenset[str], limiter: SmtpLimiter, parser: ParsePool) -> None:
        self.mailboxes = mailboxes
        self.limiter = limiter
        self.parser = parser

    async def handle_MAIL(self, server: SMTP, session: Session, envelope: Envelope,  # noqa: N802
                          address: str, mail_options: list[str]) -> str:
        # aiosmtpd keeps an empty MAIL FROM as "<>": a bounce, counted by its IP only.
        refused = self.limiter.start_message(_ip(session), "" if address in ("", "<>") else address)
        if refused:
            log.warning("refused a message from %s at %s: %s", address, _ip(session), refused)
            return refused
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server: SMTP, session: Session, envelope: Envelope,  # noqa: N802
                          address: str, rcpt_options: list[str]) -> str:
        if self.limiter.recipients_full(len(envelope.rcpt_tos)):
            return f"452 4.5.3 Too many recipients (at most {self.limiter.limits.recipients} per message)"
        if address.lower() not in self.mailboxes:
            return "550 5.1.1 No such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:  # noqa: N802
        raw = envelope.original_content or envelope.content or b""
        if isinstance(raw, str):
            raw = raw.encode("utf-8", errors="surrogateescape")
        loop = asyncio.get_running_loop()
        # aiosmtpd keeps an empty MAIL FROM as "<>": the parser reads it as a bounce.
        mail = (raw, envelope.mail_from or "", (envelope.rcpt_tos or [""])[0])
        try:
            # Parsing runs in a worker process with a time budget, storing in a thread:
            # neither holds the event loop, so other clients are served meanwhile. A small
            # plain mail is parsed in the storing thread (parse_pool explains why it may).
            # Concurrent sessions' mails are committed together; each 250 follows its commit.
            if self.parser.plain_and_small(raw):
                await loop.run_in_executor(_intake, lambda: accept(self.parser.parse_here(*mail)))
            else:
                await loop.run_in_executor(_intake, accept, await self.parser.parse(*mail))
        except Exception as exc:  # noqa: BLE001 - not stored: the sender must keep it and retry
            log.error("could not store a message from %s: %s", envelope.mail_from, type(exc).__name__)
            return "451 4.3.0 Temporary failure storing the message, please retry"
        return ACCEPTED


@lru_cache(maxsize=4096)
def _parsed_address(arg: str, local_part_limit: int) -> tuple[str | None, str | None]:
    """aiosmtpd's own parse of a MAIL or RCPT argument, once per argument: it reads only
    the local-part limit of the session, and it defines a typing.Protocol class on every
    call, which with the header parser cost a sixth of intake's CPU (py-spy, 1,000 mails
    from four clients). Senders write again and every mail names the same mailbox."""
    return SMTP._getaddr(cast(SMTP, SimpleNamespace(local_part_limit=local_part_limit)), arg)


class LimitedSMTP(SMTP):
    """aiosmtpd's SMTP session, refusing a connection past the limit per IP with 421."""

    def __init__(self, handler: IntakeHandler, **kwargs) -> None:
        super().__init__(handler, **kwargs)
        self._limiter = handler.limiter
        self._counted_ip: str | None = None
        self._refused = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        if self.transport is not None:  # STARTTLS: the same connection, already counted
            super().connection_made(transport)
            return
        peer = transport.get_extra_info("peername")
        ip = str(peer[0]) if isinstance(peer, tuple) and peer else str(peer or "")
        if not self._limiter.connect(ip):
            # Before the greeting: nothing of the session is set up, so nothing else runs.
            self._refused = True
            log.warning("refused a connection from %s: over %d open connections", ip,
                        self._limiter.limits.connections_per_ip)
            reply = b"421 4.7.0 Too many connections from your address, try again later\r\n"
            cast(asyncio.WriteTransport, transport).write(reply)
            transport.close()
            return
        self._counted_ip = ip
        super().connection_made(transport)

    def connection_lost(self, error: Exception | None) -> None:
        if self._refused:
            return
        try:
            super().connection_lost(error)
        finally:
            if self._counted_ip is not None:
                self._limiter.disconnect(self._counted_ip)
                self._counted_ip = None

    def eof_received(self) -> bool | None:
        return False if self._refused else super().eof_received()

    def data_received(self, data: bytes) -> None:
        if not self._refused:
            super().data_received(data)

    def _getaddr(self, arg: str) -> tuple[str | None, str | None]:
        return _parsed_address(arg, self.local_part_limit)


class IntakeController(Controller):
    """The server in its own thread, with the limiter and the parse workers it owns."""

    handler: IntakeHandler

    def factory(self) -> SMTP:
        return LimitedSMTP(self.handler, **self.SMTP_kwargs)

    def stop(self, no_assert: bool = False) -> None:
        try:
            super().stop(no_assert)
        finally:
            self.handler.parser.close()


def make_controller(settings: Settings | None = None) -> IntakeController:
    settings = settings or get_settings()
    parser = ParsePool(settings.email_parse_processes, settings.email_parse_timeout_seconds,
                       max_attachment_bytes=settings.max_attachment_bytes,
                       html_budget=settings.email_html_budget_chars)
    handler = IntakeHandler(get_desk().mailbox_addresses(), SmtpLimiter(SmtpLimits.from_settings(settings)), parser)
    return IntakeController(handler, hostname=settings.smtp_host, port=settings.smtp_port,
                            data_size_limit=settings.smtp_max_message_bytes,
                            server_hostname=settings.mail_domain, ident="msgrouter ESMTP",
                            # Customers' clients send UTF-8 addresses and 8-bit bodies.
                            enable_SMTPUTF8=True, decode_data=False)
