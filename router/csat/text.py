"""What the rating request says, in the conversation's language (zh or en; others get
the English). Two forms: with the signed link (email, the website form, chat, WeChat), and
for channels that take the rating as a reply (Telegram's 1-5 keyboard)."""
from __future__ import annotations

from dataclasses import dataclass

CHOICES = ["1", "2", "3", "4", "5"]


@dataclass(frozen=True)
class Words:
    subject: str
    resolved: str
    by_link: str
    by_reply: str
    valid_for: str
    sign: str


WORDS = {
    "en": Words(
        subject="How did we do? [#{id}]",
        resolved="Your request #{id} {subject}has been resolved. How satisfied are you with our help?",
        by_link="Rate it from 1 (poor) to 5 (excellent), with a comment if you like:\n{link}",
        by_reply="Tap 1 (poor) to 5 (excellent) below. You may write a comment after the number, "
                 "for example: 5 thank you",
        valid_for="The link works for {days} days. We will never ask for your recovery phrase or private key.",
        sign="{desk}"),
    "zh": Words(
        subject="请为我们的服务评分 [#{id}]",
        resolved="您的请求 #{id} {subject}已处理完毕。您对我们的服务满意吗？",
        by_link="请打分：1（很差）到 5（很好），也可以留下意见：\n{link}",
        by_reply="请点击下方 1（很差）到 5（很好）。可在数字后附上意见，例如：5 谢谢",
        valid_for="链接 {days} 天内有效。我们绝不会向您索要助记词或私钥。",
        sign="{desk}"),
}


def words_for(language: str | None) -> Words:
    return WORDS.get(language or "en", WORDS["en"])


def request_text(language: str | None, *, conversation_id: int, subject: str, desk: str,
                 link: str | None, days: float) -> tuple[str, str]:
    """(subject, body) of the request: with `link` for the form, without it for a reply."""
    words = words_for(language)
    quoted = f"“{subject}” " if subject and language != "zh" else (f"「{subject}」" if subject else "")
    lines = [words.resolved.format(id=conversation_id, subject=quoted)]
    if link is not None:
        lines += [words.by_link.format(link=link), words.valid_for.format(days=f"{days:g}")]
    else:
        lines.append(words.by_reply)
    lines.append(words.sign.format(desk=desk))
    return words.subject.format(id=conversation_id), "\n\n".join(lines)
