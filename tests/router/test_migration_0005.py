"""Migration 0005: a message is unique per (channel, sender, external id); the ids stay
indexed per channel for threading; 0004's partial index survives SQLite's table rebuild."""
from __future__ import annotations

from sqlalchemy import inspect, text

from router.storage.db import get_engine
from router.storage.migrate import alembic_config, upgrade


def _index_sql(url: str, name: str) -> str:
    with get_engine(url).connect() as conn:
        if conn.dialect.name == "sqlite":
            return conn.execute(text("SELECT sql FROM sqlite_master WHERE name = :n"), {"n": name}).scalar_one()
        return conn.execute(text("SELECT indexdef FROM pg_indexes WHERE indexname = :n"), {"n": name}).scalar_one()


def test_the_unique_key_includes_the_sender(db_url):
    inspector = inspect(get_engine(db_url))
    uniques = {u["name"]: u["column_names"] for u in inspector.get_unique_constraints("message")}
    assert uniques.get("uq_message_channel_sender_external_id") == ["channel", "sender", "external_id"]
    assert "uq_message_channel_external_id" not in uniques
    indexes = {i["name"]: i["column_names"] for i in inspector.get_indexes("message")}
    assert indexes["ix_message_channel_external_id"] == ["channel", "external_id"]
    assert "WHERE" in _index_sql(db_url, "ix_message_live").upper(), "the partial index lost its predicate"


def test_sqlite_downgrades_and_upgrades_again_with_its_rows(tmp_path):
    from alembic import command

    url = f"sqlite:///{tmp_path / 'm.db'}"
    upgrade(url, "0004")
    insert = text("INSERT INTO message (direction, channel, external_id, status, sender, sender_name, recipient, "
                  "subject, text, secret_kinds, auto_submitted, automatic, in_reply_to, \"references\", "
                  "parse_notes, created_at, attempts) VALUES ('in', 'email', :ext, 'done', :sender, '', '', '', "
                  "'hello', '[]', 0, 0, '', '[]', '[]', '2026-12-22 10:00:00', 0)")
    with get_engine(url).begin() as conn:
        conn.execute(insert, {"ext": "<a@x>", "sender": "a@example.com"})
    upgrade(url)
    with get_engine(url).begin() as conn:  # the same id from another sender is now a row of its own
        conn.execute(insert, {"ext": "<a@x>", "sender": "b@example.com"})
        conn.execute(text("DELETE FROM message WHERE sender = 'b@example.com'"))
    command.downgrade(alembic_config(url), "0004")
    assert [u["column_names"] for u in inspect(get_engine(url)).get_unique_constraints("message")] == \
        [["channel", "external_id"]]
    upgrade(url)
    with get_engine(url).connect() as conn:
        assert conn.execute(text("SELECT sender FROM message")).scalars().all() == ["a@example.com"]
    assert "WHERE" in _index_sql(url, "ix_message_live").upper()
    get_engine(url).dispose()
