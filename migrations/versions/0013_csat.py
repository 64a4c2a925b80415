"""customer satisfaction (CSAT)

`csat`: one row per resolution of a conversation, written when the rating request goes
out; the customer's score (1-5) and comment fill it in at most once. Unique per
(conversation, resolved_at): a conversation resolved again is asked again, a resolution
is asked once. `pool_id` is the conversation's pool when it was resolved, for reports.

`message.choices`: the answers an outbound message offers the customer to tap (the
rating's 1-5); Telegram shows them as a one-time reply keyboard, other channels ignore
them. Added in place (not a batch: a batch copies the message table, the largest).

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-08 05:20:00.000000
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0013'
down_revision: str | None = '0012'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'csat',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('conversation_id', sa.Integer(), nullable=False),
        sa.Column('resolved_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('pool_id', sa.Integer(), nullable=True),
        sa.Column('channel', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('message_id', sa.Integer(), nullable=True),
        sa.Column('requested_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('score', sa.Integer(), nullable=True),
        sa.Column('comment', sqlmodel.sql.sqltypes.AutoString(), nullable=False, server_default=''),
        sa.Column('rated_by', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column('rated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(['conversation_id'], ['conversation.id']),
        sa.ForeignKeyConstraint(['pool_id'], ['pool.id']),
        sa.ForeignKeyConstraint(['message_id'], ['message.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('conversation_id', 'resolved_at', name='uq_csat_conversation_resolution'),
    )
    op.create_index('ix_csat_resolved_at', 'csat', ['resolved_at'], unique=False)
    op.add_column('message', sa.Column('choices', sa.JSON(), nullable=False, server_default='[]'))


def downgrade() -> None:
    # In place, as added: SQLite 3.35+ drops a plain column without copying the table.
    op.drop_column('message', 'choices')
    op.drop_index('ix_csat_resolved_at', table_name='csat')
    op.drop_table('csat')
