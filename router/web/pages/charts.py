"""Plots as inline SVG, drawn on the server: bars across (names and their counts or times),
columns (a series: hours, days, scores) and one share bar (parts of a whole).

Written here rather than with a charting library: the Reports page needs these three
shapes only, and ~100 lines of SVG keep them in the page's own styles (app.css), with a
<title> and role="img" on each plot for screen readers, no script and nothing fetched from
another host. pygal (the maintained Python SVG library) would add a dependency whose charts
link their JavaScript from a CDN unless told not to and carry their own stylesheet.
Every value is escaped: category and channel names come from the desk's data."""
from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from itertools import count

from markupsafe import Markup, escape

WIDTH = 640
ROW = 22           # height of one bar across
LABEL_W = 150      # room for the names left of the bars across
COLUMNS_H = 160    # height of the plotting area of columns
_ids = count(1)


def _svg(title: str, height: int, body: str) -> Markup:
    tid = f"plot-{next(_ids)}"
    return Markup(f'<svg class="plot" role="img" aria-labelledby="{tid}" viewBox="0 0 {WIDTH} {height}" '
                  f'width="100%" xmlns="http://www.w3.org/2000/svg"><title id="{tid}">{escape(title)}</title>'
                  f"{body}</svg>")


def _plain(value: float) -> str:
    return f"{value:g}"


def bars(title: str, items: Sequence[tuple[str, float]], shown: Callable[[float], str] = _plain) -> Markup:
    """One bar across per (name, value), longest for the largest, the value at its end."""
    top = max((v for _, v in items), default=0) or 1
    room = WIDTH - LABEL_W - 80
    parts = []
    for i, (name, value) in enumerate(items):
        y, w = i * ROW + 4, value / top * room
        text = f"{escape(name)}: {escape(shown(value))}"
        parts.append(f'<g><title>{text}</title>'
                     f'<text x="{LABEL_W - 6}" y="{y + 14}" text-anchor="end">{escape(name)}</text>'
                     f'<rect class="bar" x="{LABEL_W}" y="{y}" width="{w:.1f}" height="{ROW - 6}"/>'
                     f'<text x="{LABEL_W + w + 4:.1f}" y="{y + 14}">{escape(shown(value))}</text></g>')
    return _svg(title, max(len(items), 1) * ROW + 8, "".join(parts))


def columns(title: str, items: Sequence[tuple[str, float]], label_every: int = 1) -> Markup:
    """One column per (name, value) along the bottom, names under every `label_every`th."""
    top = max((v for _, v in items), default=0) or 1
    step = (WIDTH - 40) / max(len(items), 1)
    parts = [f'<line class="axis" x1="30" y1="{COLUMNS_H + 16}" x2="{WIDTH - 10}" y2="{COLUMNS_H + 16}"/>',
             f'<text x="26" y="24" text-anchor="end">{escape(_plain(top))}</text>']
    for i, (name, value) in enumerate(items):
        h = value / top * COLUMNS_H
        x = 34 + i * step
        parts.append(f'<g><title>{escape(name)}: {escape(_plain(value))}</title>'
                     f'<rect class="bar" x="{x:.1f}" y="{COLUMNS_H + 16 - h:.1f}" '
                     f'width="{max(step - 3, 1):.1f}" height="{h:.1f}"/></g>')
        if i % label_every == 0:
            parts.append(f'<text x="{x + step / 2:.1f}" y="{COLUMNS_H + 32}" '
                         f'text-anchor="middle">{escape(name)}</text>')
    return _svg(title, COLUMNS_H + 40, "".join(parts))


def share(title: str, parts: Sequence[tuple[str, int, str]]) -> Markup:
    """One bar split into (name, count, css class) parts, each as wide as its share."""
    total = sum(n for _, n, _ in parts) or 1
    x, drawn = 0.0, []
    for name, n, css in parts:
        w = n / total * WIDTH
        label = f"{escape(name)}: {n} ({n / total:.0%})"
        drawn.append(f'<g><title>{label}</title><rect class="{escape(css)}" x="{x:.1f}" y="0" '
                     f'width="{w:.1f}" height="28"/></g>')
        x += w
    legend, lx = [], 0
    for name, n, css in parts:
        legend.append(f'<rect class="{escape(css)}" x="{lx}" y="38" width="12" height="12"/>'
                      f'<text x="{lx + 16}" y="49">{escape(name)} {n} ({n / total:.0%})</text>')
        lx += WIDTH // max(len(parts), 1)
    return _svg(title, 56, "".join(drawn + legend))


def csat_chart(title: str, counts: Mapping[int, int]) -> Markup:
    """CSAT ratings: a column per score 1 to 5, zeros drawn too, from counts per score
    (what router/reports/csat.py's `CsatSummary` carries)."""
    return columns(title, [(str(score), counts.get(score, 0)) for score in range(1, 6)])


def duration(seconds: float) -> str:
    """Seconds as the page shows a time: 45s, 12m, 3.5h, 2.1d."""
    if seconds < 60:
        return f"{seconds:.0f}s"
    if seconds < 3600:
        return f"{seconds / 60:.0f}m"
    if seconds < 86400 * 2:
        return f"{seconds / 3600:.1f}h"
    return f"{seconds / 86400:.1f}d"
