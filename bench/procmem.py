"""Peak resident memory of a process and its children, from Linux's /proc (VmHWM, the
kernel's high-water mark of each process's resident set)."""
from __future__ import annotations

import resource
from pathlib import Path


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(c) for c in (task / "children").read_text().split()]
        except OSError:  # the thread or process has just ended
            continue
    return found


def _peak_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def peak_rss_mb(pid: int) -> float:
    """The sum of the peaks of `pid` and all its descendants, in MB. Each peak may come at
    a different moment, so the sum is an upper bound on the group's peak; read it before
    the process exits."""
    total, todo = 0, [pid]
    while todo:
        current = todo.pop()
        total += _peak_kb(current)
        todo += _children(current)
    return round(total / 1024, 1)


def own_peak_rss_mb() -> float:
    """This process's peak (ru_maxrss is in KB on Linux)."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
