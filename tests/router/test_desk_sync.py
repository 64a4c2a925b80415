"""Desk sync writes each agent's role from the desk file, and an agent taken out of the
file keeps no role above agent (a token left behind cannot act for a supervisor or admin)."""
from __future__ import annotations

from sqlalchemy import select

from config.desk import get_desk
from router.desk.desk_sync import sync_desk
from router.storage.db import session_scope
from router.storage.models import Agent


def _roles() -> dict[str, tuple[str, str]]:
    with session_scope() as session:
        return {a.name: (a.role, a.status) for a in session.execute(select(Agent)).scalars()}


def test_roles_come_from_the_desk_file(db_url):
    assert _roles() == {"alice": ("agent", "online"), "bob": ("agent", "online"), "carol": ("agent", "online"),
                        "dan": ("agent", "online"), "erin": ("supervisor", "online"), "frank": ("admin", "online")}


def test_a_changed_role_is_synced_and_a_removed_admin_becomes_an_offline_agent(db_url):
    desk = get_desk()
    agents = [a.model_copy(update={"role": "supervisor"}) if a.name == "dan" else a
              for a in desk.agents if a.name != "frank"]
    with session_scope() as session:
        sync_desk(session, desk.model_copy(update={"agents": agents}))
    roles = _roles()
    assert roles["dan"] == ("supervisor", "online")
    assert roles["frank"] == ("agent", "offline")
    assert roles["erin"] == ("supervisor", "online")


def test_agents_stored_before_roles_are_plain_agents_until_the_next_sync(db_url):
    from alembic import command

    from router.storage.migrate import alembic_config

    command.downgrade(alembic_config(db_url), "0004")
    command.upgrade(alembic_config(db_url), "head")
    assert {role for role, _ in _roles().values()} == {"agent"}
    with session_scope() as session:
        sync_desk(session, get_desk())
    assert _roles()["frank"] == ("admin", "online")
