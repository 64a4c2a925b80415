"""Email channel: MIME in (`parse`), threaded replies out (`send_many`, `send`) through the relay.

The SMTP server that feeds `parse` is `channels.email.server`; IMAP polling joins it.
"""
from __future__ import annotations

from channels.base import DeliveryResult, Inbound, Outbound, SendProgress
from channels.email import relay
from channels.email.compose import new_message_id
from channels.email.mailbox import mailbox_key
from channels.email.mime import parse as _parse_mime
from config.settings import get_settings

# Email threads by Message-ID and subject token, never by "the customer's last case".
THREADS_BY_CUSTOMER = False
# The website form's addresses are email addresses and its answers are mail: same kind.
KIND = "email"


def parse(raw: bytes, envelope_from: str = "", envelope_to: str = "") -> Inbound:
    s = get_settings()
    return _parse_mime(raw, max_attachment_bytes=s.max_attachment_bytes, html_budget=s.email_html_budget_chars,
                       envelope_from=envelope_from, envelope_to=envelope_to)


def send_many(outbounds: list[Outbound], progress: SendProgress | None = None) -> list[DeliveryResult]:
    """Relay the mails over one SMTP session; one result per mail, in order."""
    s = get_settings()
    return relay.send_many(outbounds, host=s.relay_host, port=s.relay_port, from_addr=s.mail_from,
                           from_name=_desk_name(), username=s.relay_username, password=s.relay_password,
                           starttls=s.relay_starttls, timeout=s.relay_timeout_seconds, progress=progress)


def send(outbound: Outbound) -> DeliveryResult:
    return send_many([outbound])[0]


def our_address() -> tuple[str, str]:
    """The address and name our mail is sent from (the From of `send`)."""
    return get_settings().mail_from, _desk_name()


def sender_key(address: str) -> str:
    """The mailbox `address` reaches (`mailbox_key`), which automatic answers are counted by."""
    from config.desk import get_desk

    policy = get_desk().acknowledgement
    return mailbox_key(address, policy.dotless_domains, policy.domain_aliases)


def new_external_id(conversation_id: int | None) -> str:
    return new_message_id(get_settings().mail_domain, conversation_id)


def _desk_name() -> str:
    from config.desk import get_desk

    return get_desk().desk.name
