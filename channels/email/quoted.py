"""The new part of a reply: quoted history and attributions cut off, so triage judges
what the customer says now, not what they quoted."""
from __future__ import annotations

import re

_ATTRIBUTION = re.compile(r"^(On\b.{0,300}\bwrote:|.{0,200}(写道|寫道)[:：])\s*$", re.I | re.S)
_SEPARATORS = re.compile(
    r"^\s*(-{2,}\s*(Original Message|Forwarded by .*)\s*-{2,}|-{3,}\s*原始(邮件|郵件)\s*-{3,}"
    r"|_{10,})\s*$", re.I)
_OUTLOOK_FROM = re.compile(r"^\s*(From|发件人|發件人|寄件者)\s*[:：]", re.I)
_OUTLOOK_NEXT = re.compile(r"^\s*(Sent|Date|发送时间|發送時間|日期|寄件日期|To|收件人)\s*[:：]", re.I)


def strip_quoted(text: str) -> str:
    """Remove the quoted history at the end of a reply, for classification only.

    Cuts at a separator ("-----Original Message-----", "--- 原始邮件 ---", an
    Outlook "From:/Sent:" block), or at an attribution line ("On ... wrote:",
    "在 ... 写道：") when only ">" lines follow it, or before a trailing block of
    ">" lines. When nothing would be left, the text is returned unchanged, so a
    classifier never gets less than the message had.
    """
    lines = text.replace("\r\n", "\n").split("\n")
    cut = _separator_index(lines)
    lines = lines[:cut]
    end = len(lines)
    while end and (not lines[end - 1].strip() or lines[end - 1].lstrip().startswith(">")):
        end -= 1
    if end < len(lines) and any(line.strip() for line in lines[end:]):
        lines = lines[:end]
        for span in (1, 2):  # An attribution can be wrapped onto a second line.
            if len(lines) >= span and _ATTRIBUTION.match(" ".join(line.strip() for line in lines[-span:])):
                lines = lines[:-span]
                break
    result = "\n".join(lines).strip()
    return result if result else text.strip()


def _separator_index(lines: list[str]) -> int:
    """Index of the first line that starts top-posted history, or len(lines)."""
    for i, line in enumerate(lines):
        if _SEPARATORS.match(line):
            return i
        if _OUTLOOK_FROM.match(line) and any(_OUTLOOK_NEXT.match(following) for following in lines[i + 1:i + 4]):
            return i
        # An attribution followed by unquoted text is top-posted history (HTML mail loses the ">").
        for span in (1, 2):
            attribution = " ".join(part.strip() for part in lines[i:i + span])
            rest = [following for following in lines[i + span:] if following.strip()]
            if _ATTRIBUTION.match(attribution) and rest and not rest[0].lstrip().startswith(">"):
                return i
    return len(lines)
