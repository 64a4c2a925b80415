"""The figures a triage report should print, worked out here from labels and predictions,
and the figures it does print, read back from its text, so tests compare the two."""
from __future__ import annotations

import re
from collections import Counter

LABELS = ("category", "urgency", "language")
CONFUSION_LABELS = ("category", "urgency")     # the report draws a matrix for these
_ACCURACY = re.compile(r"^\s+(\w+)\s+accuracy\s+([\d.]+)%")
_CRITICAL = re.compile(r"^\s+critical\s+recall\s+([\d.]+)%\s+precision\s+([\d.]+)%")
_SECRETS = re.compile(r"secrets: recall (\S+) \((\d+)/(\d+)\), false alarms (\d+) of (\d+) messages")


def expected(gold: dict[str, list[str]], predicted: dict[str, list[str]]) -> dict:
    """Accuracy per label (percent), critical recall and precision (percent), confusion counts."""
    figures: dict = {}
    for label in LABELS:
        pairs = list(zip(gold[label], predicted[label], strict=True))
        figures[f"{label} accuracy"] = 100 * sum(g == p for g, p in pairs) / len(pairs)
    urgencies = list(zip(gold["urgency"], predicted["urgency"], strict=True))
    hits = sum(g == "critical" and p == "critical" for g, p in urgencies)
    said = sum(p == "critical" for _, p in urgencies)
    meant = sum(g == "critical" for g, _ in urgencies)
    figures["critical recall"] = 100 * hits / meant if meant else 100.0
    figures["critical precision"] = 100 * hits / said if said else 100.0
    for label in CONFUSION_LABELS:
        figures[f"{label} confusion"] = dict(Counter(zip(gold[label], predicted[label], strict=True)))
    return figures


def expected_secrets(gold: list[bool], found: list[bool]) -> tuple[int, int, int, int]:
    """(secrets found, secrets there, false alarms, messages without a secret)."""
    pairs = list(zip(gold, found, strict=True))
    return (sum(g and f for g, f in pairs), sum(gold), sum(f and not g for g, f in pairs),
            sum(not g for g in gold))


def printed(text: str, system: str) -> dict:
    """The figures of one system's section of a report, in the form `expected` gives."""
    section = text.split(f"== {system}\n", 1)[1].split("\n== ", 1)[0].split("\nsecrets:", 1)[0]
    figures: dict = {}
    lines = section.splitlines()
    for n, line in enumerate(lines):
        if match := _ACCURACY.match(line):
            figures[f"{match[1]} accuracy"] = float(match[2])
        elif match := _CRITICAL.match(line):
            figures["critical recall"], figures["critical precision"] = float(match[1]), float(match[2])
        elif line.strip().endswith("confusion (rows gold, columns predicted)"):
            figures[f"{line.split()[0]} confusion"] = _matrix(lines[n + 1:])
    return figures


def printed_secrets(text: str) -> tuple[int, int, int, int]:
    match = _SECRETS.search(text)
    assert match, f"no secrets line in:\n{text}"
    return int(match[2]), int(match[3]), int(match[4]), int(match[5])


def _matrix(lines: list[str]) -> dict[tuple[str, str], int]:
    """The non-zero cells of the matrix whose header row is lines[0]."""
    columns = lines[0].split()
    cells = {}
    for line in lines[1:]:
        if not line.strip():
            break
        gold, *counts = line.split()
        cells.update({(gold, column): int(n) for column, n in zip(columns, counts, strict=True) if int(n)})
    return cells


def assert_same(shown: dict, wanted: dict) -> None:
    """Percentages agree to the printed decimal; counts exactly."""
    assert set(shown) == set(wanted), (sorted(shown), sorted(wanted))
    for name, value in wanted.items():
        if isinstance(value, dict):
            assert shown[name] == value, name
        else:
            assert abs(shown[name] - value) <= 0.05 + 1e-9, (name, shown[name], value)
