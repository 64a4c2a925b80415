"""The outbound guard: an agent reply that asks the customer for a mnemonic, a private key
or a password is refused. It is the desk's defence against insiders and hijacked agent
accounts, and it backs the promise every acknowledgement makes.

A clause is refused when it names a secret and contains a request for it (send,
tell, provide, reply with, 发给, 告诉...) that nothing excuses. A request is excused
only by what governs it, not by a reassuring word somewhere in the sentence
("Don't worry, just send us your seed phrase" is refused):
- a negation right before it: "never share", "do not send", "不要发给";
- a scammer as its subject: "scammers will tell you to send your seed phrase" (only
  named scammers: "if anyone from our team asks, send it" is still refused);
- typing into our own app, for "enter/type/输入" with no link in the clause:
  "enter your new password in the app".
"""
from __future__ import annotations

import re

SECRET_NOUN = re.compile(
    r"mnemonic|seed\s*(phrase|words?)|recovery\s*(phrase|words?)|secret\s*(phrase|recovery)|"
    r"backup\s*phrase|\b(12|24)[\s-]*words?|private\s*keys?|priv\s*key|\bpassword|\bpasscode|"
    r"\bpin\b|\bwif\b|xprv|keystore|助记词|助記詞|记忆词|私钥|私鑰|密钥|密鑰|密码|密碼",
    re.IGNORECASE)
# Requests that hand the secret to whoever wrote the reply.
HAND_OVER = re.compile(
    r"\b(send|give|provide|share|tell|paste|confirm|verify|submit|write|dm|forward|reply\s+with|"
    r"what\s+is|what's|need|require|let\s+(me|us)\s+know)\b|"
    r"发给|发送|发一下|发我|给我|提供|告诉|告知|确认一下|验证|回复|私信|报一下|发来|發給|發送|告訴",
    re.IGNORECASE)
# Requests to type it somewhere: fine into our app, not into a link.
TYPE_IN = re.compile(r"\b(enter|type|input|fill\s+in)\b|输入|填写|填入|輸入|填寫", re.IGNORECASE)
# A negation governs a request when only these words stand between them: "never
# send", "do not ever share", "we will never ask you to send", "不要把助记词告诉".
# Anything else ("Don't worry, just send") and the negation is about something else.
_GAP_EN = (r"(?:\s+|\s*,\s*(?=under|ever))(?:(?:ever|please|you|to|need|have|should|must|will|would|be|"
           r"ask|asked|anyone|us|them|also|really|under|any|circumstances|share|or)[\s,]+){0,6}")
NEGATION_EN = re.compile(r"\b(never|not|don'?t|no\s+one|nobody|won'?t|shouldn'?t|mustn'?t|cannot|can'?t|nor)"
                         + _GAP_EN + r"$", re.IGNORECASE)
_GAP_ZH = (r"(?:把|将|將|向|对|對|跟|和|给|給|与|與|您|你|的|任何人|他人|别人|別人|陌生人|要|再|随便|隨便|轻易|輕易|"
           r"主动|主動|去|会|會|索要|助记词|助記詞|私钥|私鑰|密码|密碼|密钥|密鑰|或|及)*")
NEGATION_ZH = re.compile(r"(不要|不会|不會|绝不|絕不|切勿|勿|别|別|不得|永远不|永遠不|从不|從不|无需|無需|不需要|不用)"
                         + _GAP_ZH + r"$")
THIRD_PARTY = re.compile(
    r"\b(scammers?|fraudsters?|impostors?|imposters?|phishers?|hackers?|criminals?|fake\s+\w+)\b|"
    r"骗子|騙子|冒充|假冒",
    re.IGNORECASE)
OUR_APP = re.compile(r"\b(app|application|settings|login\s+page|sign[- ]in\s+page|screen)\b|应用|應用|设置|設定|"
                     r"登录页|登錄頁|页面|頁面|App", re.IGNORECASE)
LINK = re.compile(r"https?://|www\.|\b[\w-]+\.(com|net|org|io|app|xyz|site|top|link)\b", re.IGNORECASE)
CLAUSE = re.compile(r"[^.!?;。！？；\n]+[.!?;。！？；]?")


class OutboundRefused(ValueError):
    """The reply asks the customer for a secret; the message says which sentence."""


def _excused(clause: str, request: re.Match) -> bool:
    before = clause[:request.start()]
    if NEGATION_EN.search(before) or NEGATION_ZH.search(before):
        return True
    if THIRD_PARTY.search(before):
        return True  # reported speech: a warning about what others will ask
    typing = TYPE_IN.fullmatch(request.group(0)) is not None
    return typing and OUR_APP.search(clause) is not None and LINK.search(clause) is None


def asks_for_secret(text: str) -> str | None:
    """The first clause that asks for a secret, or None."""
    for clause in CLAUSE.findall(text):
        if not SECRET_NOUN.search(clause):
            continue
        requests = [*HAND_OVER.finditer(clause), *TYPE_IN.finditer(clause)]
        if any(not _excused(clause, request) for request in requests):
            return clause.strip()
    return None


def check_reply(text: str) -> None:
    clause = asks_for_secret(text)
    if clause is not None:
        raise OutboundRefused(
            "reply refused: it asks the customer for a secret (mnemonic, private key or "
            f"password), which staff must never do: {clause[:200]!r}")
