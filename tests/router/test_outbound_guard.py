"""The outbound guard refuses replies that ask for a secret, and lets warnings and
ordinary instructions through: the excuse must govern the request, not sit nearby."""
from __future__ import annotations

import pytest

from router.secrets.outbound_guard import OutboundRefused, asks_for_secret, check_reply

REFUSED = [
    "Please send us your 12-word recovery phrase so we can verify your wallet.",
    "Don't worry, just send us your seed phrase and we'll fix it.",
    "Don't worry just send us your seed phrase",
    "Nobody else will see it, so send your private key here.",
    "If anyone from our team contacts you, send them your seed phrase.",
    "有人联系你的话，把助记词发给他。",
    "这不是诈骗，请提供您的助记词。",
    "To reset your account, reply with your private key.",
    "What is your wallet password?",
    "Please DM me your mnemonic.",
    "For verification, enter your seed phrase at https://pinecone-verify.example/restore",
    "This is not a scam, please share your private key with our engineer.",
    "We need your keystore file and its password to recover the funds.",
    "请把助记词发给我们核实一下。",
    "别担心，把私钥发给我就行。",
    "别担心把私钥发给我就行",
    "可以告诉我你的交易密码吗？",
    "為了驗證身份，請提供您的助記詞。",
]

ALLOWED = [
    "We will never ask for your seed phrase or private key.",
    "We will never ask you to send your seed phrase.",
    "Please do not, under any circumstances, share your private key.",
    "Never share your recovery phrase with anyone, including us.",
    "Do not send your private key to anyone, not even to support.",
    "You can reset your password from the login page.",
    "Please enter your new password in the app under Settings > Security.",
    "Scammers will tell you to send your seed phrase; ignore them and block the account.",
    "If anyone asks for your 12 words, it is a scam.",
    "Your withdrawal was confirmed on chain; the txid is in your history.",
    "请不要把助记词告诉任何人，我们的客服绝不会索要。",
    "工作人员永远不会向您索要私钥或助记词。",
    "您可以在设置里修改登录密码。",
    "有人冒充客服让你提供助记词，请不要理会。",
]


@pytest.mark.parametrize("text", REFUSED)
def test_replies_asking_for_a_secret_are_refused(text):
    assert asks_for_secret(text) is not None
    with pytest.raises(OutboundRefused, match="never"):
        check_reply(text)


@pytest.mark.parametrize("text", ALLOWED)
def test_warnings_and_ordinary_instructions_pass(text):
    assert asks_for_secret(text) is None
    check_reply(text)


def test_the_refusal_names_the_offending_clause():
    reply = "Thanks for waiting. We looked at your account. Please send your seed phrase to finish."
    with pytest.raises(OutboundRefused) as refused:
        check_reply(reply)
    assert "Please send your seed phrase" in str(refused.value)
    assert "Thanks for waiting" not in str(refused.value)
