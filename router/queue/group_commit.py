"""Group commit: concurrent callers hand their rows to one committer, which writes whatever
has gathered in one transaction and then wakes each caller with its own result.

No thread of its own: the first caller to find nobody committing commits at once (alone,
with no added latency); callers who arrive while a commit runs wait and are committed
together by the next of them (the leader). A group that fails is written again row by
row, so one bad row fails only its own caller.
"""
from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

Row = TypeVar("Row")
Result = TypeVar("Result")


class _Waiter(Generic[Row, Result]):
    __slots__ = ("done", "error", "lead", "result", "row", "settled")

    def __init__(self, row: Row) -> None:
        self.row = row
        self.done = threading.Event()
        self.lead = False  # woken to commit the next group, not with a result
        self.result: Result | None = None
        self.error: BaseException | None = None
        self.settled = False  # a result or an error is set


class GroupCommitter(Generic[Row, Result]):
    """Commits rows in groups with `write(rows) -> results`, one transaction per call,
    one result per row in order; `write` must roll back everything when it raises."""

    def __init__(self, write: Callable[[Sequence[Row]], Sequence[Result]],
                 max_group: int = 500) -> None:
        self._write = write
        self._max_group = max_group
        self._lock = threading.Lock()
        self._waiting: list[_Waiter[Row, Result]] = []
        self._committing = False

    def submit(self, row: Row) -> Result:
        """Commit `row` (with whatever else has gathered) and return its result once the
        transaction holding it has committed; raise its own error if it failed."""
        me: _Waiter[Row, Result] = _Waiter(row)
        with self._lock:
            self._waiting.append(me)
            lead = not self._committing
            self._committing = True
        if not lead:
            me.done.wait()
            lead = me.lead
        if lead:
            self._lead()
        if me.error is not None:
            raise me.error
        return me.result  # type: ignore[return-value]

    def _lead(self) -> None:
        with self._lock:
            group, self._waiting = self._waiting[:self._max_group], self._waiting[self._max_group:]
        try:
            self._commit(group)
        except BaseException as exc:  # an interrupt mid-commit: nobody may think they are stored
            for waiter in group:
                if not waiter.settled:
                    waiter.error, waiter.settled = exc, True
            raise
        finally:
            for waiter in group:
                waiter.done.set()
            self._hand_over()

    def _hand_over(self) -> None:
        """The oldest caller still waiting leads the next group; nobody waiting: idle."""
        with self._lock:
            if not self._waiting:
                self._committing = False
                return
            nxt = self._waiting[0]
            nxt.lead = True
        nxt.done.set()

    def _commit(self, group: list[_Waiter[Row, Result]]) -> None:
        try:
            results = self._write([w.row for w in group])
        except Exception as exc:  # noqa: BLE001 - whatever failed, each row is retried alone below
            if len(group) == 1:
                group[0].error, group[0].settled = exc, True
                return
            # One bad row must not fail the others: each is tried in its own transaction.
            for waiter in group:
                self._commit([waiter])
            return
        for waiter, result in zip(group, results, strict=True):
            waiter.result, waiter.settled = result, True
