"""The pipeline's working state for a claimed batch: every message's decisions and reasons
(`Item`), what the steps loaded once for the whole batch, and the rows they will write.

Steps work on plain rows (`router.storage.rows`), decide in memory and write in bulk: events,
outbound messages, conversations, messages and agents' loads are each written with one
statement when the batch ends. Each conversation is one row object however many steps
and messages touch it.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlmodel import Session, col

from config.desk import Desk
from router.storage import bulk, rows
from router.storage.models import Conversation, Event, Pool
from router.storage.rows import Row, table_of


class Stop(Exception):
    """A step ends a message's processing on purpose; the message is done, nothing failed."""


class Duplicate(Stop):
    """The same text from the same customer was just received: attached, not alerted again."""


class Automatic(Stop):
    """Machine-written mail (an auto-reply, a bounce, list mail): stored and attached to its
    conversation, or parked in one of its own, but nobody's work and never answered."""


class ItemFailed(Exception):
    """One message's step raised: the batch is retried without it, and it is set aside."""

    def __init__(self, item: Item, step: str, error: BaseException) -> None:
        super().__init__(f"message {item.message.id} failed at {step}: {error!r}")
        self.item, self.step, self.error = item, step, error


@dataclass(eq=False)
class Item:
    """One message of the batch and what the steps decided for it, with their reasons."""

    message: Row
    customer: Row | None = None
    conversation: Row | None = None
    # An earlier message of this batch whose conversation this one joins once it is open.
    follows: Item | None = None
    is_new_conversation: bool = False
    reroute: bool = False  # the conversation's category changed: route it again
    park: str | None = None  # why a new conversation waits in the triage pool (classify.parking)
    previous_assignee_id: int | None = None  # who had a reopened conversation before its resolve
    released_agent_id: int | None = None  # route took the conversation from this agent
    classification: Any = None
    stopped: Stop | None = None
    outbound: list[Row] = field(default_factory=list)  # inserted when the batch ends
    reasons: list[dict[str, Any]] = field(default_factory=list)

    @property
    def customer_id(self) -> int:
        """The sender's customer id: `thread`, the first step, finds or creates every customer."""
        assert self.customer is not None
        return self.customer.id

    def reason(self, step: str, text: str, **data: Any) -> None:
        """Record why a step decided what it did (and any figures behind it); the dashboard shows these."""
        self.reasons.append({"step": step, "reason": text, "message_id": self.message.id, **data})


@dataclass
class Batch:
    session: Session
    desk: Desk
    now: datetime
    pools: dict[str, Pool]
    items: list[Item]
    # The run of messages (one per conversation) the deciding steps work on now.
    run: list[Item] | None = None
    step: str = ""  # the step running now, named when one fails
    # Loaded once per batch by the step that needs it (agents, counts, ...).
    cache: dict[str, Any] = field(default_factory=dict)
    events: list[dict[str, Any]] = field(default_factory=list)
    conversations: dict[int, Row] = field(default_factory=dict)  # one row object per conversation
    # The conversations `open` made: their ids are drawn, they are inserted when the batch ends.
    opened: list[Row] = field(default_factory=list)
    # What steps worked out before the transaction (`prepare`): step -> message id -> result.
    prepared: dict[str, dict[int, Any]] = field(default_factory=dict)
    # Writes a step defers to the end of the batch (an agent's load, once).
    on_finish: list[Callable[[], None]] = field(default_factory=list)

    def live(self) -> Iterator[Item]:
        """The messages the current step works on: the run, or the whole batch."""
        return (item for item in (self.items if self.run is None else self.run) if item.stopped is None)

    def each(self, decide: Callable[[Item], None]) -> None:
        """Run `decide` on every live item in order; a Stop ends that item on purpose, any
        other error fails it alone (the pipeline retries the batch without it)."""
        for item in list(self.live()):
            try:
                decide(item)
            except Stop as stop:
                item.stopped = stop
                item.reason(self.step, f"stopped: {stop}")
            except Exception as exc:
                raise ItemFailed(item, self.step, exc) from exc

    def loaded(self, key: str, load: Callable[[], Any]) -> Any:
        """What `load` returns, loaded once for the whole batch."""
        if key not in self.cache:
            self.cache[key] = load()
        return self.cache[key]

    def load_conversations(self, ids: set[int]) -> dict[int, Row]:
        """The conversations `ids`, each read once per batch and shared by every step.

        They are locked until the batch commits: the batch writes each one back whole, so
        an agent resolving or reassigning one meanwhile waits for it, or goes first and is
        read, instead of being overwritten. In id order, so two batches cannot deadlock."""
        missing = ids - self.conversations.keys()
        if missing:
            for row in rows.load(self.session, Conversation, col(Conversation.id).in_(missing),
                                 order_by=col(Conversation.id), lock=True):
                self.conversations[row.id] = row
        return {i: self.conversations[i] for i in ids if i in self.conversations}

    def pool_name(self, pool_id: int | None) -> str:
        return next((name for name, pool in self.pools.items() if pool.id == pool_id), "?")

    def record(self, kind: str, *, conversation: Row | Item | int | None = None,
               message: Row | int | None = None, actor: str = "system",
               data: dict[str, Any] | None = None) -> None:
        """Queue an event; rows not yet flushed are resolved to their ids when written."""
        self.events.append({"kind": kind, "conversation": conversation, "message": message,
                            "actor": actor, "data": data or {}})

    def write_events(self) -> None:
        if not self.events:
            return
        events = self.events
        bulk.insert_many(self.session.connection(), table_of(Event), {
            "conversation_id": [_id(e["conversation"]) for e in events],
            "message_id": [_id(e["message"]) for e in events],
            "kind": [e["kind"] for e in events], "actor": [e["actor"] for e in events],
            "at": [self.now] * len(events), "data": [e["data"] for e in events]})
        self.events.clear()


def _id(value: Any) -> int | None:
    if isinstance(value, Item):  # an item's conversation, opened later in the batch
        value = value.conversation
    return value if value is None or isinstance(value, int) else value.id
