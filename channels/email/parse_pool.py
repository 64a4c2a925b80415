"""Mail is parsed off the SMTP server's event loop, in worker processes with a time budget.

Processes, not threads: a thread cannot be stopped, so a mail that takes minutes to lay
out would keep its thread (and the GIL, which the event loop needs) for all those
minutes, and a few such mails would take every thread. A worker process past the budget
is killed and replaced (pebble does the killing), and the event loop only ever waits on
a future. The cost is copying each mail to a worker and back, which is small beside
parsing it.

A mail over budget is read again more cheaply: its HTML reduced to words, no layout. If
that too fails or runs over, its raw text is taken (`mime.parse_raw`, linear in the bytes
it reads). Either way it is stored with a note that says so; intake redacts it as usual.
"""
from __future__ import annotations

import asyncio
import logging
import multiprocessing
from concurrent.futures import TimeoutError as FutureTimeout

from pebble import ProcessExpired, ProcessPool

from channels.base import Inbound
from channels.email import mime

log = logging.getLogger(__name__)
# Children are forked from a clean server process that has the parser imported: fast to
# replace after a kill, and none of the SMTP server's threads or sockets are inherited.
_CONTEXT = multiprocessing.get_context("forkserver")
_CONTEXT.set_forkserver_preload(["channels.email.mime"])


class ParsePool:
    """Parses mail in `processes` worker processes, each mail within `timeout` seconds."""

    def __init__(self, processes: int, timeout: float, *, max_attachment_bytes: int, html_budget: int) -> None:
        self.timeout = timeout
        self._options = {"max_attachment_bytes": max_attachment_bytes, "html_budget": html_budget}
        self._pool = ProcessPool(max_workers=processes, context=_CONTEXT)

    async def parse(self, raw: bytes, envelope_from: str, envelope_to: str) -> Inbound:
        """The Inbound of `raw`, never taking the worker longer than the budget per attempt."""
        addresses = {"envelope_from": envelope_from, "envelope_to": envelope_to}
        why = await self._attempt(raw, {**self._options, **addresses})
        if isinstance(why, Inbound):
            return why
        first = f"reading the message {why}; its HTML is shown as words, without layout"
        log.warning("a message from %s: %s", envelope_from or "<>", first)
        cheap = await self._attempt(raw, {**self._options, **addresses, "html_budget": 0})
        if isinstance(cheap, Inbound):
            cheap.parse_notes.insert(0, first)
            return cheap
        note = f"reading the message {why}, and without HTML layout {cheap}; text is the raw message"
        # Linear and bounded: safe in a thread, and a thread keeps the event loop free meanwhile.
        return await asyncio.get_running_loop().run_in_executor(
            None, lambda: mime.parse_raw(raw, notes=[note], **addresses))

    async def _attempt(self, raw: bytes, options: dict) -> Inbound | str:
        """The parsed Inbound, or why there is none (for the note)."""
        future = self._pool.schedule(mime.parse, args=(raw,), kwargs=options, timeout=self.timeout)
        try:
            return await asyncio.wrap_future(future)
        except FutureTimeout:
            return f"took longer than the {self.timeout:g}-second budget"
        except ProcessExpired as exc:  # killed from outside or out of memory: the mail is still taken in
            return f"ended its worker process (exit code {exc.exitcode})"

    def close(self) -> None:
        self._pool.stop()
        self._pool.join()
