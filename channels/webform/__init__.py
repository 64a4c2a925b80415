"""Website form channel: a contact form posted to `POST /forms/contact` (`parse`), answered
by email (`send_many` composes and relays mail exactly as the email channel does).

The form's address is an email address, so the channel is of the email kind: the form's
identity and mail from the same address are one customer, and the customer's answer to
our mail threads into the form's conversation. The conversation keeps channel `webform`,
so the desk sees where it began and the SLA table can treat it on its own.
"""
from __future__ import annotations

import secrets
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from channels import email
from channels.base import DeliveryResult, Inbound, Outbound, SendProgress
from channels.webform.fields import FormInvalid, check, is_spam
from config.settings import get_settings

__all__ = ["FormInvalid", "Spam", "new_external_id", "new_reference", "our_address", "parse", "send", "send_many"]

THREADS_BY_CUSTOMER = False  # a second form from the same address is a new request
KIND = "email"
# Unambiguous when read aloud or retyped: no 0/O, no 1/I/L.
_REFERENCE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


class Spam(Exception):
    """The honeypot was filled in: answered like a success, stored nowhere."""


def new_reference() -> str:
    """The reference the visitor is given: random, so it tells nothing about our volume."""
    return "WF-" + "".join(secrets.choice(_REFERENCE_ALPHABET) for _ in range(10))


def parse(raw: Mapping[str, Any], *, reference: str, received_at: datetime | None = None) -> Inbound:
    """The submitted fields as a message; FormInvalid names each wrong field, Spam a filled
    honeypot (checked first, so a robot learns nothing from our answer)."""
    if is_spam(raw):
        raise Spam(reference)
    form = check(raw)
    return Inbound(
        channel="webform",
        # Shaped as a Message-ID, so our mail answering it carries it in References.
        external_id=f"<form.{reference.lower()}@{get_settings().mail_domain}>",
        sender=form.email, sender_name=form.name, subject=form.subject, text=form.message,
        received_at=received_at, parse_notes=[f"sent with the website contact form, reference {reference}"])


def send_many(outbounds: list[Outbound], progress: SendProgress | None = None) -> list[DeliveryResult]:
    """The answers go out as mail, through the relay, threaded like any answer by email."""
    return email.send_many(outbounds, progress)


def send(outbound: Outbound) -> DeliveryResult:
    return send_many([outbound])[0]


def our_address() -> tuple[str, str]:
    return email.our_address()


def new_external_id(conversation_id: int | None) -> str:
    return email.new_external_id(conversation_id)
