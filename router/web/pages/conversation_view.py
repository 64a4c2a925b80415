"""What the conversation page shows beside the API's answer: the thread with the internal
notes in their place, the desk's macros filled for this conversation, and the choices of
the reassign form (the pool's agents with their presence and load, and the pools the
agent may move work into)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from config.desk import get_desk
from router.desk import macros
from router.desk.pool_members import Member, members, pool_names
from router.storage.db import read_scope
from router.storage.models import Agent
from router.web.access import ConversationAccess
from router.web.models_out import ConversationOut, MessageOut, NoteOut


@dataclass(frozen=True)
class Entry:
    """One line of the thread: a message, or a note for agents only."""

    at: str
    message: MessageOut | None = None
    note: NoteOut | None = None


def thread(c: ConversationOut) -> list[Entry]:
    """Messages and notes in time order (ISO times in UTC sort as text); at the same second
    the message comes first, as the note is usually about it."""
    entries = [(m.created_at, 0, m.id, Entry(m.created_at, message=m)) for m in c.messages]
    entries += [(n.at, 1, n.id, Entry(n.at, note=n)) for n in c.notes]
    return [entry for *_, entry in sorted(entries, key=lambda e: e[:3])]


def filled_macros(c: ConversationOut, agent: Agent) -> list[macros.FilledMacro]:
    desk = get_desk()
    values = macros.values(desk, conversation_id=c.id, customer=c.customer.name,
                           agent=agent.display_name or agent.name, language=c.language)
    return macros.macros_for(desk, c.language, values)


@dataclass(frozen=True)
class ReassignChoices:
    agents: list[Member]  # the conversation's pool's agents
    pools: list[str]  # the other pools the caller may move it into


def reassign_choices(target: ConversationAccess, c: ConversationOut) -> ReassignChoices:
    who = target.caller
    with read_scope() as session:
        names = pool_names(session)
        by_name = {name: pool_id for pool_id, name in names.items()}
        agents = members(session, by_name[c.pool]) if c.pool in by_name else []
    pools = [name for pool_id, name in names.items()
             if name != c.pool and (who.sees_every_pool or pool_id in who.pool_ids)]
    return ReassignChoices(agents, pools)


def view(target: ConversationAccess, c: ConversationOut, macro: str | None) -> dict[str, Any]:
    """The page's context beyond `c`; `macro` is the ?macro= the page was asked with (the
    no-script way to insert one), which fills the draft."""
    filled = filled_macros(c, target.agent)
    context: dict[str, Any] = {"thread": thread(c), "macros": filled,
                               "reassign": reassign_choices(target, c)}
    if macro:
        chosen = next((m for m in filled if m.name == macro), None)
        if chosen is None:
            context["macro_error"] = macro
        else:
            context["draft"] = chosen.text
    return context
