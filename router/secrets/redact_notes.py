"""Parse notes redacted: they quote what the parser could not read (a Date header, a
charset name, a file name), and whatever a sender wrote there may be a secret.

A note is redacted whole and only then cut to length, so no cut leaves the rest of a
secret too short for the redactor to recognise.
"""
from __future__ import annotations

import re

from router.secrets.redact import redact
from router.secrets.redact_tokens import hidden_kinds

NOTE_CHARS = 300
_QUOTED = re.compile(r"'([^'\n]{1,2000})'|\"([^\"\n]{1,2000})\"")


def _merge(kinds: list[str], found) -> None:
    kinds.extend(k for k in found if k not in kinds)


def _redact_quoted(note: str, kinds: list[str]) -> str:
    """A quoted piece is a token (a charset name, a file name): read it in the token views too."""
    def replace(match: re.Match[str]) -> str:
        hidden = hidden_kinds(match.group(1) or match.group(2) or "", cues=False)
        _merge(kinds, hidden)
        return " ".join(f"[REDACTED:{k}]" for k in hidden) if hidden else match.group(0)

    return _QUOTED.sub(replace, note)


def redact_notes(notes: list[str], filenames: dict[str, str], kinds: list[str]) -> list[str]:
    """The notes redacted (kinds found are added to `kinds`). `filenames` maps each
    attachment's name as received to its stored name, so a note names the file as stored."""
    out = []
    for note in notes:
        for raw, safe in filenames.items():
            if raw != safe:
                note = note.replace(raw, safe)
        result = redact(note)
        _merge(kinds, result.kinds)
        note = _redact_quoted(result.text, kinds)
        out.append(note if len(note) <= NOTE_CHARS else note[:NOTE_CHARS - 1] + "…")
    return out
