"""Secrets written loosely, which the strict forms in redact.py miss.

- Passwords quoted after what the customer tried or typed, in a message about a
  password or a login: "tried 'Sunny2020' and 'sunny2020', both say incorrect",
  "我试了"abc123"和"Abc123"都不对", "my password is 'x'".  Every quoted value of the
  list goes, not only the first.
- A hex private key split over lines or written in groups with spaces, when the
  text names it as a key ("private key:\\n3f9a...\\n...").  The pieces must add up
  to exactly 64 hex digits; a transaction hash or an address, named as such or on
  one line, is never touched (that is `redact._hex_keys`' job, which keeps them).

Kept apart from redact.py and secret_forms.py so that each can change on its own.
"""
from __future__ import annotations

import re
from collections.abc import Iterator

from router.secrets.secret_forms import plausible_password

Span = tuple[int, int, str]

# ---------------------------------------------------------------- quoted attempts
# What the customer tried or typed, then up to a few words, then the quoted values.
_TRIED = re.compile(
    r"(?<![A-Za-z])(?:tried|try|typed|entered|used|using|input|put in"
    r"|my (?:password|passcode|pin) (?:is|was))(?![A-Za-z])"
    r"|试了|试过|试试|尝试了?|输入了?|输了|用了|打了|密码是|密码为|密碼是",
    re.I)
_QUOTED = re.compile(r"""["'“‘「『]([^\n"'“”‘’「」『』]{3,64})["'”’」』]""")
# Between the cue and the first value, and between values: a few words and joiners.
_LEAD = re.compile(r"[^\n.!?。！？\"'“‘「『]{0,24}")
_JOIN = re.compile(r"\s*(?:,|，|、|/|and|or|和|跟|与|與|或|还有|還有|then|also)?\s*(?:then\s+|also\s+)?", re.I)
# The message must be about a password or a login for a quote to be one.
_CONTEXT = re.compile(r"pass|pwd|pin|log ?in|sign ?in|unlock|密码|密碼|口令|登录|登錄|登陆|解锁|解鎖", re.I)


def quoted_attempts(text: str) -> Iterator[Span]:
    """Quoted values after "tried", "typed", "my password is", "试了", "密码是"."""
    if not _CONTEXT.search(text):
        return
    for cue in _TRIED.finditer(text):
        lead = _LEAD.match(text, cue.end())
        pos = lead.end() if lead else cue.end()
        while True:
            quoted = _QUOTED.match(text, pos)
            if not quoted:
                break
            if plausible_password(quoted.group(1), min_length=3) and " " not in quoted.group(1).strip():
                yield quoted.start(1), quoted.end(1), "password"
            join = _JOIN.match(text, quoted.end())
            pos = join.end() if join else quoted.end()


# ---------------------------------------------------------------- split hex keys
_KEY_NAME = re.compile(r"private[\s_-]*key|priv[\s_-]*key|privkey|secret[\s_-]*key|私钥|私鑰|密钥|密鑰|秘钥", re.I)
# Groups of 4+ hex digits separated by spaces or line breaks, right after the naming.
_HEX_GROUPS = re.compile(r"(?:0x)?[0-9a-fA-F]{4,}(?:[ \t]*\r?\n?[ \t]*[0-9a-fA-F]{4,}){1,31}")
_NEAR = 40     # characters between the naming and the key ("private key (from the old app):")


def split_hex_keys(text: str) -> Iterator[Span]:
    """A private key's 64 hex digits in pieces, just after the words that name it."""
    for name in _KEY_NAME.finditer(text):
        groups = _HEX_GROUPS.search(text, name.end(), name.end() + _NEAR + 200)
        if groups is None or groups.start() - name.end() > _NEAR:
            continue
        digits = re.sub(r"\s", "", groups.group()).removeprefix("0x").removeprefix("0X")
        if len(digits) == 64 and re.search(r"\s", groups.group()):
            yield groups.start(), groups.end(), "private_key"
