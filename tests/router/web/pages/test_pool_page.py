"""A pool's queue page (issue 20): unassigned work, each row claimed with one click, and
the pool's agents with their presence and load. Over real HTTP, on both databases."""
from __future__ import annotations

import re

from sqlalchemy import select, update

from dashboard import csrf_of, signed_in
from desk_roles import MEMBER, OUTSIDER, security_cases
from router.storage.db import session_scope
from router.storage.models import Agent, Conversation
from router.web.pages.strings import TEXT


def _set_status(**statuses: str) -> None:
    # Presence is set by the agent (another part of the dashboard); here it is the data.
    with session_scope() as session:
        for name, status in statuses.items():
            session.execute(update(Agent).where(Agent.name == name).values(status=status))


def _members(page: str) -> dict[str, tuple[str, str]]:
    """Each member row of the page: agent name -> (presence word, 'open/capacity')."""
    table = re.search(r'<table class="queue members" id="members">(.*?)</table>', page, re.DOTALL)
    assert table, "no members table"
    rows = re.findall(r'<tr data-agent="([^"]+)">.*?class="presence presence-\w+">([^<]+)<.*?'
                      r'<span class="count">(\d+/\d+)</span>', table.group(1), re.DOTALL)
    return {name: (presence, load) for name, presence, load in rows}


def _load(name: str) -> str:
    with session_scope() as session:
        agent = session.execute(select(Agent).where(Agent.name == name)).scalar_one()
        return f"{agent.open_count}/{agent.capacity}"


def test_the_pool_page_shows_each_agents_presence_and_load(api, broker):
    base, _ = api
    _set_status(dan="away")
    security_cases(2)  # assigned to alice, the only online member with capacity
    alice = signed_in(base, MEMBER)
    page = alice.get("/pools/security").text
    zh = TEXT["zh"]
    assert _members(page) == {"alice": (zh["presence_online"], _load("alice")),
                              "dan": (zh["presence_away"], _load("dan"))}
    assert _load("alice") == "2/20" and _load("dan") == "0/10"
    assert zh["load"] in page
    # carol is not in the pool: the page is refused as the API's queue is.
    assert signed_in(base, OUTSIDER).get("/pools/security").status_code == 403


def test_unassigned_work_is_claimed_with_one_click_from_its_row(api, broker):
    base, _ = api
    _set_status(alice="offline", dan="offline")  # nobody takes new work: it waits in the queue
    first, second = security_cases(2)
    alice = signed_in(base, MEMBER)
    page = alice.get("/pools/security").text
    for cid in (first, second):
        row = re.search(rf'<tr data-conversation="{cid}">(.*?)</tr>', page, re.DOTALL)
        assert row and f'action="/conversations/{cid}/claim"' in row.group(1)
    assert _members(page)["alice"] == (TEXT["zh"]["presence_offline"], "0/20")

    claimed = alice.post(f"/conversations/{first}/claim", data={"csrf": csrf_of(alice, "/pools/security")})
    assert claimed.status_code == 303
    with session_scope() as session:
        assignee = session.get(Conversation, first).assignee_id
        assert session.get(Agent, assignee).name == MEMBER
    after = alice.get("/pools/security").text
    assert f'data-conversation="{first}"' not in after and f'data-conversation="{second}"' in after
    assert _members(after)["alice"][1] == "1/20"
