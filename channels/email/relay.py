"""Deliver `Outbound` mail to the SMTP relay over one connection per batch, and say for
each mail whether a retry can help.

A 5xx answer during a mail's transaction (recipient, sender or content refused) is
permanent and fails that mail alone; so does a 4xx, as a transient failure. Refused
connections, timeouts and dropped connections are transient. So are failures of our own
set-up (login, TLS, a relay that refuses us on connect): they are not a property of the
message, and the message should go out once the set-up is fixed. A connection that drops
mid-batch is reopened once; if it fails again the rest of the batch is failed, transiently.
The mail in hand when it dropped goes again on the new connection if the relay cannot have
its data yet (the drop came before DATA's 354, pipelined or not); if it may, it waits for
the backoff like any transient failure. Each mail's dialogue is `channels.email.transaction`,
pipelined when the relay offers PIPELINING.
"""
from __future__ import annotations

import contextlib
import logging
import smtplib
import ssl
from dataclasses import dataclass
from typing import Any

from channels.base import DeliveryResult, Outbound, SendProgress
from channels.email.compose import envelope_address, template
from channels.email.transaction import Dropped, deliver, envelope

log = logging.getLogger(__name__)

OPENS_PER_BATCH = 2  # the first connection and one reopened after a drop


@dataclass(frozen=True)
class RelayConfig:
    host: str
    port: int
    from_addr: str
    from_name: str = ""
    username: str | None = None
    password: str | None = None
    starttls: bool = False
    timeout: float = 20.0


def send(outbound: Outbound, **config: Any) -> DeliveryResult:
    """Relay one message: the plural with a list of one."""
    return send_many([outbound], **config)[0]


def send_many(outbounds: list[Outbound], *, host: str, port: int, from_addr: str, from_name: str = "",
              username: str | None = None, password: str | None = None, starttls: bool = False,
              timeout: float = 20.0, progress: SendProgress | None = None) -> list[DeliveryResult]:
    """Relay the messages in order over one SMTP session; never raises for delivery
    problems, each result says what happened to its message. `progress` hears of each mail
    before it starts and as soon as its answer is in (see `SendProgress`)."""
    config = RelayConfig(host, port, from_addr, from_name, username, password, starttls, timeout)
    prepared = template(from_addr, from_name)
    results: list[DeliveryResult | None] = [None] * len(outbounds)
    ready: list[tuple[int, bytes, bytes]] = []
    for i, outbound in enumerate(outbounds):
        try:
            commands = envelope(from_addr, envelope_address(outbound.recipient))
            ready.append((i, commands, prepared.render(outbound)))
        except ValueError as exc:
            results[i] = DeliveryResult(ok=False, permanent=True, detail=f"cannot compose: {exc}")
    session = _Session(config)
    try:
        for i, commands, data in ready:
            if progress is not None and not progress.proceed(i):
                results[i] = DeliveryResult(ok=False, detail="not sent: the claim on it was lost")
                continue
            results[i] = result = session.deliver(commands, data)
            if progress is not None:
                progress.outcome(i, result)
    finally:
        session.close()
    return results  # type: ignore[return-value]


class _Session:
    """One SMTP connection for a batch, opened on first use and reopened at most once."""

    def __init__(self, config: RelayConfig) -> None:
        self.config = config
        self.smtp: smtplib.SMTP | None = None
        self.pipelining = False  # whether the open connection's EHLO offered PIPELINING
        self.opens = 0
        self.down: DeliveryResult | None = None  # once set, every later mail gets it

    def deliver(self, commands: bytes, data: bytes) -> DeliveryResult:
        while self.down is None:
            if self.smtp is None and not self._open():
                break
            assert self.smtp is not None  # open, or _open() just opened it
            try:
                return deliver(self.smtp, commands, data, self.pipelining)
            except Dropped as dropped:
                self._discard()
                if self.opens >= OPENS_PER_BATCH:
                    self.down = dropped.result
                if dropped.offered:
                    # The relay may have taken it: retried later with backoff, not now.
                    return dropped.result
        assert self.down is not None  # the loop ends only once the relay is given up on
        return self.down

    def _open(self) -> bool:
        if self.opens >= OPENS_PER_BATCH:
            return False
        self.opens += 1
        try:
            self.smtp = _connect(self.config)
            self.pipelining = self.smtp.has_extn("pipelining")
        except (smtplib.SMTPServerDisconnected, OSError) as exc:
            self.down = DeliveryResult(ok=False, detail=f"relay unreachable: {type(exc).__name__}: {exc}")
        except smtplib.SMTPResponseException as exc:
            self.down = DeliveryResult(ok=False, detail=f"relay set-up failed: {exc.smtp_code} {_text(exc.smtp_error)}")
        except smtplib.SMTPException as exc:
            self.down = DeliveryResult(ok=False, detail=f"relay set-up failed: {type(exc).__name__}: {exc}")
        return self.smtp is not None

    def _discard(self) -> None:
        if self.smtp is not None:
            self.smtp.close()
            self.smtp = None

    def close(self) -> None:
        if self.smtp is not None:
            # Every mail has its answer already; a failed goodbye changes nothing.
            with contextlib.suppress(smtplib.SMTPException, OSError):
                self.smtp.quit()
            self._discard()


def _connect(config: RelayConfig) -> smtplib.SMTP:
    smtp = smtplib.SMTP(config.host, config.port, timeout=config.timeout)
    try:
        smtp.ehlo_or_helo_if_needed()
        if config.starttls:
            smtp.starttls(context=ssl.create_default_context())
            smtp.ehlo()
        if config.username:
            smtp.login(config.username, config.password or "")
    except BaseException:
        smtp.close()
        raise
    return smtp


def _text(reply: bytes | str) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)
