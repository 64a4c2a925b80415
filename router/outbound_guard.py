"""The outbound guard: an agent reply that asks the customer for a mnemonic, a private key
or a password is refused. It is the desk's defence against insiders and hijacked agent
accounts, and it backs the promise every acknowledgement makes.

A sentence is refused when it names a secret and asks for it (send, tell, provide,
type...), unless it is one of the warnings we want agents to give ("never share").
"""
from __future__ import annotations

import re

SECRET_NOUN = re.compile(
    r"mnemonic|seed\s*(phrase|words?)|recovery\s*(phrase|words?)|secret\s*(phrase|recovery)|"
    r"backup\s*phrase|12[\s-]*words?|24[\s-]*words?|private\s*keys?|priv\s*key|\bpassword|\bpasscode|"
    r"\bpin\b|\bwif\b|xprv|keystore|助记词|助記詞|记忆词|私钥|私鑰|密钥|密鑰|密码|密碼|支付密码|交易密码",
    re.IGNORECASE)
ASK = re.compile(
    r"\b(send|give|provide|share|tell|enter|type|paste|confirm|verify|submit|write|dm|forward|"
    r"reply\s+with|what\s+is|what's|need|require|input|fill)\b|"
    r"发给|发送|发一下|发我|给我|提供|告诉|告知|输入|填写|填入|确认一下|验证|回复|私信|报一下|說|发来|發給|發送|提供|告訴|輸入",
    re.IGNORECASE)
# Warnings and instructions that mention a secret without asking for it.
SAFE = re.compile(
    r"\b(never|not|don'?t|do\s+not|no\s+one|nobody|won'?t|will\s+not|reset|change|update|forgot|"
    r"beware|scam|phishing)\b|不要|不会|不會|绝不|絕不|切勿|勿|别|別|不得|永远不|永遠不|从不|從不|"
    r"重置|修改|更改|找回|忘记|忘記|骗子|騙子|诈骗|詐騙",
    re.IGNORECASE)
SENTENCE = re.compile(r"[^.!?。！？\n]+[.!?。！？]?")


class OutboundRefused(ValueError):
    """The reply asks the customer for a secret; the message says which sentence."""


def asks_for_secret(text: str) -> str | None:
    """The first sentence that asks for a secret, or None."""
    for sentence in SENTENCE.findall(text):
        if SECRET_NOUN.search(sentence) and ASK.search(sentence) and not SAFE.search(sentence):
            return sentence.strip()
    return None


def check_reply(text: str) -> None:
    sentence = asks_for_secret(text)
    if sentence is not None:
        raise OutboundRefused(
            "reply refused: it asks the customer for a secret (mnemonic, private key or "
            f"password), which staff must never do: {sentence[:200]!r}")
