"""Bounds on what one email may make us do: hostile or broken mail must not cost
unbounded memory or time, so every walk, text and list has a ceiling."""
from __future__ import annotations

MAX_TEXT_CHARS = 200_000
MAX_FORWARDED_CHARS = 50_000  # one forwarded message inside the text
MAX_DEPTH = 20
MAX_PARTS = 500
MAX_HTML_CHARS = 1_000_000  # HTML beyond this is not converted; the text cap is far lower anyway
MAX_REFERENCES = 50
MAX_QUOTE_MARKS = 10  # "> " marks shown for quotes in HTML nested deeper than this
MAX_FILENAME_CHARS = 200
FORWARD_LINE = "---- Forwarded message ----"
