"""Mail is parsed off the SMTP server's event loop, in worker processes with a time budget.

Processes, not threads: a thread cannot be stopped, so a mail that takes minutes to lay
out would keep its thread (and the GIL, which the event loop needs) for all those
minutes, and a few such mails would take every thread. A worker process past the budget
is killed and replaced (pebble does the killing), and the event loop only ever waits on
a future. The cost is copying each mail to a worker and back, which is small beside
parsing it.

Small plain mails are the exception (`ParsePool.plain_and_small`): at most 16 KiB, one
text/plain part, no MIME structure, so no HTML to lay out and nothing nested. Reading
one is linear in its few bytes (a fraction of a millisecond), while the trip to a worker
process and back cost 10 to 20 ms of waiting per mail under bench/throughput.py's load:
those are parsed in the thread that stores them. Anything else, a hostile mail included,
still goes to a worker under the budget.

A mail over budget is read again more cheaply: its HTML reduced to words, no layout. If
that too fails or runs over, its raw text is taken (`mime.parse_raw`, linear in the bytes
it reads). Either way it is stored with a note that says so; intake redacts it as usual.
"""
from __future__ import annotations

import asyncio
import logging
import multiprocessing
import re
from concurrent.futures import TimeoutError as FutureTimeout

from pebble import ProcessExpired, ProcessPool

from channels.base import Inbound
from channels.email import mime

log = logging.getLogger(__name__)
# Children are forked from a clean server process that has the parser imported: fast to
# replace after a kill, and none of the SMTP server's threads or sockets are inherited.
_CONTEXT = multiprocessing.get_context("forkserver")
_CONTEXT.set_forkserver_preload(["channels.email.mime"])
SMALL_BYTES = 16 * 1024  # a plain mail this small is read in its storing thread
_PLAIN_TYPE = re.compile(rb"(?m)^content-type:[ \t]*text/plain\b")


class ParsePool:
    """Parses mail in `processes` worker processes, each mail within `timeout` seconds."""

    def __init__(self, processes: int, timeout: float, *, max_attachment_bytes: int, html_budget: int) -> None:
        self.timeout = timeout
        self._options = {"max_attachment_bytes": max_attachment_bytes, "html_budget": html_budget}
        self._pool = ProcessPool(max_workers=processes, context=_CONTEXT)

    @staticmethod
    def plain_and_small(raw: bytes) -> bool:
        """Whether `raw` is one small text/plain part (or has no Content-Type at all, which
        means the same): no multipart, HTML or forwarded message anywhere. Any other
        mention of a content type, even in the text, sends the mail to a worker."""
        if len(raw) > SMALL_BYTES:
            return False
        lowered = raw.lower()
        types = lowered.count(b"content-type")
        return types == 0 or (types == 1 and _PLAIN_TYPE.search(lowered) is not None)

    def parse_here(self, raw: bytes, envelope_from: str, envelope_to: str) -> Inbound:
        """The Inbound of a mail `plain_and_small` admits, read in the calling thread."""
        return mime.parse(raw, envelope_from=envelope_from, envelope_to=envelope_to, **self._options)

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
