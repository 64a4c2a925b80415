"""The desk's macros (`[macros.NAME]` in desk.toml): canned replies an agent inserts into
a draft, each in Chinese and English, validated at start-up so that a bad one stops the
desk with the key named instead of reaching a customer.

A macro may use only the placeholders in `MACRO_FIELDS`, written `{name}`; any other
brace is refused, so a typo (`{customer_name`) is caught here, not in a customer's mail.
Placeholders are filled by plain replacement (`router.desk.macros.fill`), never by
`str.format`, so a value cannot reach into Python objects or expand another placeholder.
A macro that asks the customer for a secret, or that holds something that reads as one,
is refused here as the outbound guard and the redactor would refuse it at send time.
"""
from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict, Field, field_validator

from router.secrets.outbound_guard import asks_for_secret
from router.secrets.redact import redact

# What a macro may say about the case, filled from the conversation and the agent.
MACRO_FIELDS = ("customer_name", "case", "agent_name", "desk_name")
MACRO_LANGUAGES = ("zh", "en")
MACRO_NAME = r"^[a-z0-9][a-z0-9_-]{0,39}$"
PLACEHOLDER = re.compile(r"\{([A-Za-z0-9_]*)\}")


class Macro(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    zh: str = Field(min_length=1, max_length=5000)
    en: str = Field(min_length=1, max_length=5000)

    @field_validator("zh", "en")
    @classmethod
    def _safe(cls, text: str) -> str:
        return check_macro_text(text)

    def text(self, language: str) -> str:
        return self.zh if language == "zh" else self.en


def check_macro_text(text: str) -> str:
    """The text unchanged, or ValueError saying what is wrong with it."""
    if not text.strip():
        raise ValueError("is empty")
    for match in PLACEHOLDER.finditer(text):
        if match.group(1) not in MACRO_FIELDS:
            raise ValueError(f"unknown placeholder {match.group(0)}; a macro may use "
                             + ", ".join(f"{{{f}}}" for f in MACRO_FIELDS))
    if "{" in PLACEHOLDER.sub("", text) or "}" in PLACEHOLDER.sub("", text):
        raise ValueError("has a brace that is not a placeholder; write placeholders as {customer_name}")
    # Secrets first, so that the guard's refusal, which quotes the clause, never quotes one.
    kinds = redact(text).kinds
    if kinds:
        raise ValueError(f"holds what reads as a secret ({', '.join(kinds)}); no secret may be stored")
    clause = asks_for_secret(text)
    if clause is not None:
        raise ValueError(f"asks the customer for a secret, which the outbound guard refuses: {clause[:120]!r}")
    return text


def check_macro_names(names: list[str]) -> None:
    for name in names:
        if not re.match(MACRO_NAME, name):
            raise ValueError(f"macros.{name}: a macro's name is 1 to 40 lower-case letters, "
                             "digits, '-' or '_', starting with a letter or digit")
