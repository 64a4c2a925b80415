"""A message too deeply nested for the parser, read flat: the parts between its boundary
lines, each parsed on its own.

Its raw bytes are no text to show or store: their base64 and quoted-printable bodies
and encoded-word headers hide from redaction whatever they carry. Cut at every boundary
line the message declares, each piece is one flat part that the parser reads without
recursion, so it is decoded (transfer encoding, charset, HTML) like any other part.
"""
from __future__ import annotations

import re
from email.message import Message
from email.parser import BytesParser
from email.policy import compat32

_BOUNDARY = re.compile(rb"""boundary\s*=\s*(?:"([^"\r\n]{1,200})"|([^\s;"]{1,200}))""", re.I)


def flat_parts(raw: bytes) -> list[Message]:
    """The message's pieces between boundary lines, each parsed as one part, in order;
    the first is the top-level header block with its preamble."""
    boundaries = {b"--" + (m.group(1) or m.group(2)) for m in _BOUNDARY.finditer(raw)}
    pieces, current = [], bytearray()
    for line in raw.splitlines(keepends=True):
        bare = line.rstrip(b"\r\n \t")
        if bare in boundaries or (bare.endswith(b"--") and bare[:-2] in boundaries):
            pieces.append(bytes(current))
            current = bytearray()
            continue
        current += line
    pieces.append(bytes(current))
    parser = BytesParser(policy=compat32)
    return [parser.parsebytes(piece) for piece in pieces if piece.strip()]
