"""SLA tracking: the next-reply clock's start, the next alarm tick looks at, the pause
history, and the alarms recorded once

`sla_check_at` is indexed only where it is set, so tick's one query walks the
conversations with an alarm ahead in time order and never the open cases nothing is due
on. `sla_alarm` is unique per (conversation, deadline, kind, clock start): two ticks at
once insert a warning or breach once.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-23 10:00:00.000000
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0010'
down_revision: str | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CHECK = sa.text("sla_check_at IS NOT NULL")


def upgrade() -> None:
    with op.batch_alter_table('conversation', schema=None) as batch_op:
        batch_op.add_column(sa.Column('next_reply_since', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('sla_check_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('pauses', sa.JSON(), nullable=False, server_default='[]'))
        batch_op.create_index('ix_conversation_sla_check', ['sla_check_at'], unique=False,
                              postgresql_where=CHECK, sqlite_where=CHECK)
    op.create_table(
        'sla_alarm',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('conversation_id', sa.Integer(), nullable=False),
        sa.Column('deadline', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('clock_start', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('due_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('pool', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('channel', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('agent', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.ForeignKeyConstraint(['conversation_id'], ['conversation.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('conversation_id', 'deadline', 'kind', 'clock_start',
                            name='uq_sla_alarm_deadline_kind'),
    )
    op.create_index('ix_sla_alarm_at', 'sla_alarm', ['at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_sla_alarm_at', table_name='sla_alarm')
    op.drop_table('sla_alarm')
    with op.batch_alter_table('conversation', schema=None) as batch_op:
        batch_op.drop_index('ix_conversation_sla_check')
        batch_op.drop_column('pauses')
        batch_op.drop_column('sla_check_at')
        batch_op.drop_column('next_reply_since')
