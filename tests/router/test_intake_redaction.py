"""Redaction of every field at intake: a secret planted in a mail's body, subject, sender's
name or text attachment is stored in no column of any table, and `[REDACTED:<kind>]`
stands where it was; an agent's pasted secret and API tokens are not stored either."""
from __future__ import annotations

import contextlib
import hashlib
import json
import secrets
import smtplib
from collections.abc import Callable
from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import make_msgid

import httpx
import pytest
from mnemonic import Mnemonic
from sqlalchemy import inspect, select, text
from typer.testing import CliRunner

from channels.base import Inbound
from router.cli import app as cli_app
from router.delivery.outbox import deliver_pending
from router.queue.drain import drain_inbound
from router.queue.intake import accept
from router.storage.db import get_engine, session_scope
from router.storage.models import Attachment, Conversation, Customer, Message


@dataclass(frozen=True)
class Form:
    """One way a customer writes a secret: its kind, how to make one, the words around it."""

    name: str
    kind: str
    make: Callable[[], str]
    wording: str  # "{secret}" marks where the secret stands

    def plant(self) -> tuple[str, str]:
        secret = self.make()
        return secret, self.wording.format(secret=secret)

    def redacted(self) -> str:
        return self.wording.format(secret=f"[REDACTED:{self.kind}]")


FORMS = [
    Form("mnemonic_en", "mnemonic", lambda: Mnemonic("english").generate(strength=128),
         "my seed phrase is {secret}. What now?"),
    Form("mnemonic_zh", "mnemonic", lambda: Mnemonic("chinese_simplified").generate(strength=128),
         "我的助记词是 {secret}。请帮帮我"),
    Form("private_key_en", "private_key", lambda: "0x" + secrets.token_hex(32),
         "my private key is {secret}. Is it safe?"),
    Form("private_key_zh", "private_key", lambda: secrets.token_hex(32), "我的私钥是 {secret}，安全吗"),
    Form("password_en", "password", lambda: "Tq7-" + secrets.token_hex(5),
         "my password is {secret} and login fails"),
    Form("password_zh", "password", lambda: "Tq7-" + secrets.token_hex(5), "登录密码是{secret}，登不上去"),
]
FIELDS = ("body", "subject", "sender_name", "attachment")
SENDER = "wei@example.com"


def build_mail(field: str, planted: str) -> EmailMessage:
    """A customer's mail with `planted` in one field and harmless text in the others."""
    parts = {"body": "Please look at my case.", "subject": "Help with my wallet",
             "sender_name": "Wei Chen", field: planted}
    msg = EmailMessage()
    msg["From"] = Address(display_name=parts["sender_name"], addr_spec=SENDER)
    msg["To"] = "support@pinecone.example"
    msg["Subject"] = parts["subject"]
    msg["Message-ID"] = make_msgid(domain="example.com")
    msg.set_content(parts["body"] if field != "attachment" else "My notes are attached.")
    if field == "attachment":
        msg.add_attachment(planted, subtype="plain", charset="utf-8", filename="notes.txt")
    return msg


def send(port: int, mail: EmailMessage) -> None:
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
        client.send_message(mail)


def _readable(value: object) -> list[str]:
    """A stored value as text: bytes decoded, JSON unescaped (it stores Chinese as \\uXXXX)."""
    if value is None:
        return []
    if isinstance(value, memoryview):
        value = bytes(value)
    if isinstance(value, bytes):
        return [value.decode("utf-8", "replace")]
    if isinstance(value, dict | list):
        return [json.dumps(value, ensure_ascii=False)]
    out = [str(value)]
    if out[0][:1] in ("[", "{", '"'):
        with contextlib.suppress(ValueError):
            out.append(json.dumps(json.loads(out[0]), ensure_ascii=False))
    return out


def everything_stored() -> str:
    """Every column of every row of every table in the database, as one text."""
    engine = get_engine()
    chunks = []
    with engine.connect() as conn:
        for table in inspect(engine).get_table_names():
            for row in conn.execute(text(f'SELECT * FROM "{table}"')):
                for value in row:
                    chunks.extend(_readable(value))
    return "\n".join(chunks)


def leaks(blob: str, kind: str, secret: str) -> list[str]:
    """Which pieces of `secret` are in `blob` (named, not shown: a failing test prints them).
    Any three words of a phrase in a row count."""
    if kind == "mnemonic":
        words = secret.split()
        pieces = {f"words {i + 1}-{i + 3}": " ".join(words[i:i + 3]) for i in range(len(words) - 2)}
        pieces["the phrase written together"] = "".join(words)
    elif kind == "private_key":
        bare = secret.removeprefix("0x")
        pieces = {"the key": bare.lower(), "the key in capitals": bare.upper()}
    else:
        pieces = {"the password": secret}
    return [name for name, piece in pieces.items() if piece in blob]


def stored_field(field: str) -> str:
    with session_scope() as session:
        message = session.execute(select(Message).where(Message.direction == "in")).scalars().one()
        if field == "attachment":
            attachment = session.execute(select(Attachment)).scalars().one()
            return attachment.data.decode("utf-8")
        return {"body": message.text, "subject": message.subject, "sender_name": message.sender_name}[field]


def inbound_kinds() -> list[str]:
    with session_scope() as session:
        return session.execute(select(Message.secret_kinds).where(Message.direction == "in")).scalar_one()


# Python's mail client folds a long Chinese subject into encoded words with the space
# between two of them outside both, and RFC 2047 drops such a space: msgrouter receives
# "束 断箱 快", a phrase with two characters glued, which the redactor does not find.
GLUED_IN_TRANSIT = pytest.mark.xfail(strict=True, reason="a Han phrase with one space lost "
                                     "in folding is not redacted (known gap)")
FIELD_FORMS = [pytest.param(field, form, id=f"{field}-{form.name}",
                            marks=[GLUED_IN_TRANSIT] if (field, form.name) == ("subject", "mnemonic_zh") else [])
               for field in FIELDS for form in FORMS]


@pytest.mark.parametrize(("field", "form"), FIELD_FORMS)
def test_a_secret_in_any_field_rests_nowhere(field, form, smtp_port, broker):
    secret, planted = form.plant()
    send(smtp_port, build_mail(field, planted))
    drain_inbound()  # the pipeline copies fields on: customer name, conversation subject, ack

    assert leaks(everything_stored(), form.kind, secret) == []
    assert stored_field(field).strip() == form.redacted()
    assert form.kind in inbound_kinds()
    if field == "sender_name":
        with session_scope() as session:
            assert session.execute(select(Customer.display_name)).scalar_one() == form.redacted()


def _phrase_after_list_words() -> str:
    """A phrase whose first ten words, after 'seed phrase' (both list words), also pass
    the checksum: the first valid window is not the phrase, so a redactor that stops at
    it leaves the phrase's last two words behind. Found by counting, not by chance."""
    english = Mnemonic("english")
    for n in range(10_000):
        phrase = english.to_mnemonic(hashlib.sha256(f"phrase {n}".encode()).digest()[:16])
        if english.check(" ".join(["seed", "phrase", *phrase.split()[:10]])):
            return phrase
    raise AssertionError("no such phrase among 10,000")


def test_a_phrase_glued_to_list_words_loses_every_word(db_url, broker):
    phrase = _phrase_after_list_words()
    inbound = Inbound(channel="email", external_id=make_msgid(domain="example.com"), sender=SENDER,
                      text=f"I typed my seed phrase {phrase}. Then it was gone.", subject="Drained")
    accept(inbound)

    body = stored_field("body")
    left = set(body.replace(".", " ").split()) & set(phrase.split())
    assert not left, f"{len(left)} words of the phrase left behind"
    assert body.startswith("I typed my ") and body.endswith("[REDACTED:mnemonic]. Then it was gone.")


@pytest.mark.parametrize("form", FORMS, ids=[f.name for f in FORMS])
def test_a_secret_an_agent_pastes_into_a_reply_is_stored_and_sent_redacted(form, smtp_port, sink, api, broker):
    send(smtp_port, build_mail("body", "I think my wallet was drained last night."))
    drain_inbound()
    with session_scope() as session:
        conversation_id = session.execute(select(Conversation.id)).scalar_one()
    secret, planted = form.plant()
    base, auth = api

    response = httpx.post(f"{base}/api/conversations/{conversation_id}/reply", headers=auth(),
                          json={"text": f"You wrote: {planted}\nThat is exposed now; move your funds."})
    assert response.status_code == 201, response.text
    deliver_pending()

    with session_scope() as session:
        reply = session.get(Message, response.json()["message_id"])
    assert reply.status == "sent"
    assert reply.text == f"You wrote: {form.redacted()}\nThat is exposed now; move your funds."
    assert leaks(everything_stored(), form.kind, secret) == []
    mails = "\n".join(m.as_string() + m.get_body().get_content() for m in sink.parsed())
    assert form.redacted() in mails, "the customer got the reply"
    assert leaks(mails, form.kind, secret) == []


def test_api_tokens_are_stored_only_as_hashes(api):
    result = CliRunner().invoke(cli_app, ["token", "alice"])
    assert result.exit_code == 0, result.output
    token = result.output.strip().splitlines()[-1]
    base, _ = api
    assert httpx.get(f"{base}/api/pools", headers={"Authorization": f"Bearer {token}"}).status_code == 200

    stored = everything_stored()
    assert token not in stored and token.removeprefix("mr_") not in stored
    assert hashlib.sha256(token.encode()).hexdigest() in stored


def test_a_pasted_phrase_whose_words_read_as_a_request_is_not_refused_nor_quoted(smtp_port, sink, api, broker):
    # "need" and "send" are list words; the guard must judge the agent's words, not the
    # customer's pasted phrase, and a refusal must never quote a secret.
    english = Mnemonic("english")
    phrase = next(p for p in (english.to_mnemonic(bytes([n]) * 16) for n in range(256))
                  if {"need", "send", "share", "tell"} & set(p.split()))
    send(smtp_port, build_mail("body", "I think my wallet was drained last night."))
    drain_inbound()
    with session_scope() as session:
        conversation_id = session.execute(select(Conversation.id)).scalar_one()
    base, auth = api
    url = f"{base}/api/conversations/{conversation_id}/reply"
    accepted = httpx.post(url, headers=auth(),
                          json={"text": f"You wrote: my seed phrase is {phrase}. Move your funds."})
    assert accepted.status_code == 201, accepted.text
    refused = httpx.post(url, headers=auth(), json={"text": f"Please send your seed phrase {phrase} again."})
    assert refused.status_code == 422
    assert not set(phrase.split()) & set(refused.json()["detail"].replace(".", " ").replace("'", " ").split())
