"""partial indexes for queue pages, queue fill and tick

A pool's open conversations and its unassigned open conversations, each in queue order
(pool, due_at, id), so a page is an index walk instead of a sort of the whole pool; and
the messages still waiting for or in work, in id order, so a claim never walks history.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-20 10:00:00.000000
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OPEN = sa.text("state <> 'resolved'")
UNASSIGNED = sa.text("assignee_id IS NULL AND state <> 'resolved'")
LIVE = sa.text("status IN ('pending', 'processing', 'queued', 'sending')")


def upgrade() -> None:
    with op.batch_alter_table('conversation', schema=None) as batch_op:
        batch_op.create_index('ix_conversation_pool_open', ['pool_id', 'due_at', 'id'], unique=False,
                              postgresql_where=OPEN, sqlite_where=OPEN)
        batch_op.create_index('ix_conversation_pool_unassigned', ['pool_id', 'due_at', 'id'], unique=False,
                              postgresql_where=UNASSIGNED, sqlite_where=UNASSIGNED)
    with op.batch_alter_table('message', schema=None) as batch_op:
        batch_op.create_index('ix_message_live', ['direction', 'id'], unique=False,
                              postgresql_where=LIVE, sqlite_where=LIVE)


def downgrade() -> None:
    with op.batch_alter_table('message', schema=None) as batch_op:
        batch_op.drop_index('ix_message_live')
    with op.batch_alter_table('conversation', schema=None) as batch_op:
        batch_op.drop_index('ix_conversation_pool_unassigned')
        batch_op.drop_index('ix_conversation_pool_open')
