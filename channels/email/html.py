"""HTML mail to readable text: paragraphs, line breaks, lists and quotes kept,
scripts, styles and hidden parts dropped."""
from __future__ import annotations

import re
from itertools import pairwise

from bs4 import BeautifulSoup, CData, NavigableString, Tag

from channels.email.limits import MAX_QUOTE_MARKS, MAX_TEXT_CHARS

# Paragraph-like blocks end with a blank line, line-like ones with a line break.
_PARAGRAPH_TAGS = {"p", "table", "ul", "ol", "pre", "hr", "h1", "h2", "h3", "h4", "h5", "h6",
                   "section", "article", "header", "footer", "address", "center", "dl"}
_LINE_TAGS = {"div", "li", "tr", "dd", "dt"}
_DROPPED_TAGS = {"script", "style", "head", "title", "noscript", "template", "iframe", "object", "svg"}
# Marks written while walking and resolved afterwards (private-use characters).
_SOFT, _PARA, _QUOTE_OPEN, _QUOTE_CLOSE = "\ue000", "\ue001", "\ue002", "\ue003"
_BREAK_RUN = re.compile(r"[ \t]*[\n\ue000\ue001][\n\ue000\ue001 \t]*")


def html_to_text(html: str) -> str:
    """Readable text from HTML: no scripts or styles, line breaks where blocks end, quotes as "> "."""
    pieces = _html_pieces(BeautifulSoup(html, "html.parser"))
    blocks: list[tuple[int, str]] = []  # (quote depth shown, text)
    depth = size = 0
    for piece in re.split(f"([{_QUOTE_OPEN}{_QUOTE_CLOSE}])", "".join(pieces)):
        if piece in (_QUOTE_OPEN, _QUOTE_CLOSE):
            depth = depth + 1 if piece == _QUOTE_OPEN else max(0, depth - 1)
        elif size <= MAX_TEXT_CHARS and (text := _layout(piece)):
            # Deeper quote marks add nothing readable and would multiply the text's size.
            shown = min(depth, MAX_QUOTE_MARKS)
            blocks.append((shown, "\n".join(("> " * shown + line).rstrip() for line in text.split("\n"))))
            size += len(blocks[-1][1])
    out = [blocks[0][1]] if blocks else []
    for (before, _), (after, text) in pairwise(blocks):
        out.append("\n" + ("> " * min(before, after)).rstrip() + "\n" + text)
    return "".join(out)


def _html_pieces(soup: BeautifulSoup) -> list[str]:
    """Text and break marks in document order.

    An explicit stack instead of recursion or tree edits: deeply nested mail
    (100,000 <div>s) must cost linear time, not exhaust the stack.
    """
    pieces: list[str] = []
    stack: list[tuple[object, str | None]] = [(soup, None)]
    in_pre = 0
    while stack:
        node, closing = stack.pop()
        if closing is not None:
            in_pre -= closing == "pre"
            pieces.append(_close_mark(closing))
        elif isinstance(node, Tag):
            if node.name in _DROPPED_TAGS:
                continue
            if node.name == "br":
                pieces.append("\n")
                continue
            in_pre += node.name == "pre"
            pieces.append(_open_mark(node.name))
            stack.append((node, node.name))
            stack.extend((child, None) for child in reversed(node.contents))
        elif type(node) in (NavigableString, CData):  # Not comments, doctypes or declarations.
            # Source line breaks are plain spaces in HTML; <pre> is the exception.
            text = re.sub("[\ue000-\ue003]", "", str(node))  # Our marks must not come from the sender.
            pieces.append(text if in_pre else re.sub(r"[ \t\r\n\f\xa0]+", " ", text))
    return pieces


def _open_mark(name: str) -> str:
    return _PARA if name in _PARAGRAPH_TAGS else _SOFT if name in _LINE_TAGS else (
        _QUOTE_OPEN if name == "blockquote" else "")


def _close_mark(name: str) -> str:
    return _PARA if name in _PARAGRAPH_TAGS else _SOFT if name in _LINE_TAGS else (
        _QUOTE_CLOSE if name == "blockquote" else " " if name in ("td", "th") else "")


def _layout(text: str) -> str:
    """Resolve break marks: a paragraph mark or two line breaks give a blank line, else one break."""
    def line_break(match: re.Match) -> str:
        run = match.group(0)
        return "\n\n" if _PARA in run or run.count("\n") >= 2 else "\n"
    text = _BREAK_RUN.sub(line_break, text)
    return "\n".join(line.strip() for line in text.split("\n")).strip()
