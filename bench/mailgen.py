"""Generated support mail for benchmarks: Chinese and English, several charsets, and
replies that thread into earlier messages. Deterministic for a given seed."""
from __future__ import annotations

import random
from email.message import EmailMessage

ZH = [
    ("提现一直未到账", "你好，我昨天提现的 {n} USDT 到现在还没有到账，交易一直显示处理中，请帮忙查一下。"),
    ("账户被冻结", "我的账户今天突然被冻结了，提示存在风险。我没有做过任何违规操作，请问怎么解冻？"),
    ("手续费问题", "请问转账 TRX 的手续费是多少？为什么这次比上次贵了 {n} 倍？"),
    ("APP 闪退", "更新到最新版本以后，APP 一打开就闪退，手机是安卓 {n}。"),
    ("空投活动", "看到你们在做空投活动，请问怎么参加？需要满足什么条件？"),
    ("钱包被盗", "我的钱包余额突然变成零了，我没有做过任何转账，是不是被盗了？"),
]
EN = [
    ("Withdrawal missing", "Hi, my withdrawal of {n} USDT from yesterday still has not arrived. Can you check?"),
    ("Cannot log in", "I cannot log in since this morning, the verification code never arrives."),
    ("Fees", "What is the fee for sending BTC? It seemed higher than usual, about {n} sats."),
    ("App crashes", "The app crashes every time I open it on Android {n}."),
    ("Feature request", "Great app! Could you add price alerts and CSV export of transactions?"),
    ("Wallet emptied", "My balance is zero and I made no transfer. Someone took {n} ETH."),
]
CHARSETS_ZH = ("utf-8", "gb2312", "gbk", "gb18030")
CHARSETS_EN = ("utf-8", "iso-8859-1", "us-ascii")
TRADITIONAL = ("帳戶被凍結", "我的帳戶今天突然被凍結了，請問怎麼解凍？交易記錄也看不到了。")


def generate(n: int, seed: int = 7, reply_share: float = 0.2,
             to: str = "support@pinecone.example") -> list[EmailMessage]:
    rng = random.Random(seed)
    sent: list[EmailMessage] = []
    out: list[EmailMessage] = []
    for i in range(n):
        msg = EmailMessage()
        if sent and rng.random() < reply_share:
            parent = rng.choice(sent)
            msg["From"] = parent["From"]
            msg["Subject"] = "Re: " + str(parent["Subject"])
            msg["In-Reply-To"] = parent["Message-ID"]
            msg["References"] = parent["Message-ID"]
            body, charset = f"Any news? This is follow-up {i}. 请尽快回复。", "utf-8"
        else:
            kind = rng.random()
            if kind < 0.45:
                subject, body = rng.choice(ZH)
                charset = rng.choice(CHARSETS_ZH)
            elif kind < 0.5:
                subject, body = TRADITIONAL
                charset = "big5"
            else:
                subject, body = rng.choice(EN)
                charset = rng.choice(CHARSETS_EN)
            msg["From"] = f"customer{i}@example.com"
            msg["Subject"] = f"{subject} ({i})"
            body = body.format(n=rng.randint(2, 900))
            if charset in ("iso-8859-1", "us-ascii"):
                body = body.encode("ascii", "ignore").decode()
        msg["To"] = to
        # Fixed ids (not make_msgid's time and pid), so a seed always gives the same mail.
        msg["Message-ID"] = f"<{seed}.{i}@bench.example>"
        msg.set_content(body, charset=charset)
        out.append(msg)
        if "In-Reply-To" not in msg:
            sent.append(msg)
    return out
