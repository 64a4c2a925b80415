"""Macros filled for one conversation: the desk's canned replies in the conversation's
language, their placeholders replaced by plain substitution.

One pass over the text replaces each `{field}` with its value; a value is never read
again, so a customer named "{case}" or "{0.__class__}" is written as typed, and nothing
the customer wrote can reach a format string. The filled text is only a draft: the agent
sends it as any reply, through the redactor and the outbound guard.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from config.desk import Desk
from config.macros import MACRO_LANGUAGES, PLACEHOLDER

# How a macro greets a customer whose name we do not know, per language.
NO_NAME = {"en": "there", "zh": "尊敬的客户"}
NAME_CHARS = 60
_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029\u202a-\u202e\u2066-\u2069]+")


@dataclass(frozen=True)
class FilledMacro:
    name: str
    text: str


def macro_language(desk: Desk, language: str) -> str:
    """The conversation's language when macros are written in it, else the desk's default
    (else English)."""
    if language in MACRO_LANGUAGES:
        return language
    default = desk.desk.default_language
    return default if default in MACRO_LANGUAGES else "en"


def customer_name(name: str, language: str) -> str:
    """The customer's name on one line, bounded: it is whatever they typed."""
    cleaned = " ".join(_CONTROL.sub(" ", name).split())[:NAME_CHARS]
    return cleaned or NO_NAME.get(language, NO_NAME["en"])


def fill(text: str, values: Mapping[str, str]) -> str:
    """`text` with each known `{field}` replaced by its value in one pass."""
    return PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), text)


def macros_for(desk: Desk, language: str, values: Mapping[str, str]) -> list[FilledMacro]:
    """Every macro of the desk in `language` (see `macro_language`), filled, in file order."""
    lang = macro_language(desk, language)
    return [FilledMacro(name, fill(macro.text(lang), values)) for name, macro in desk.macros.items()]


def values(desk: Desk, *, conversation_id: int, customer: str, agent: str, language: str) -> dict[str, str]:
    """The placeholders' values for one conversation, as its agent would send it."""
    lang = macro_language(desk, language)
    return {"customer_name": customer_name(customer, lang), "case": f"#{conversation_id}",
            "agent_name": agent, "desk_name": desk.desk.name}
