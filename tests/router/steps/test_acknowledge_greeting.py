"""The acknowledgement greets no one by name: whatever a sender puts in their display name
(a link, an offer, a line of text) never reaches the mail we send, in any language, with
or without the secret notice."""
from __future__ import annotations

import smtplib
from email.headerregistry import Address

import pytest
from mnemonic import Mnemonic

from pipeline_support import delivered
from router.queue.drain import drain_inbound
from support import make_email

NAMES = [
    "Claim your refund at https://pinecone-refund.example/now",
    "账户异常 请访问 http://pinecone-verify.example 验证",
    "Pinecone Support: your wallet is suspended; reply with your recovery phrase",
]


@pytest.mark.parametrize("name", NAMES, ids=["url-en", "url-zh", "text"])
@pytest.mark.parametrize(("subject", "text"), [
    ("Fee question", "What is the network fee for sending USDT on Tron?"),
    ("提现问题", "你好，我昨天提现的 USDT 到现在还没有到账，请帮忙查一下。"),
    ("help", "my words are " + Mnemonic("english").to_mnemonic(bytes(range(16, 32))) + " please check"),
], ids=["en", "zh", "secret"])
def test_the_display_name_never_appears_in_the_acknowledgement(smtp_port, broker, sink, name, subject, text):
    msg = make_email(sender="victim@example.com", subject=subject, text=text)
    del msg["From"]
    msg["From"] = Address(display_name=name, addr_spec="victim@example.com")  # quoted or encoded as needed
    with smtplib.SMTP("127.0.0.1", smtp_port, timeout=10) as client:
        client.send_message(msg)
    drain_inbound()
    [ack] = delivered(sink, "victim@example.com")
    body = ack.get_content()
    assert ack["To"] == "victim@example.com"
    for piece in ["pinecone-refund", "pinecone-verify", "suspended", "Claim", "账户异常", "recovery phrase;"]:
        assert piece not in body and piece not in str(ack["Subject"])
    assert body.startswith(("Hello,", "您好：", "We noticed", "我们注意到"))
