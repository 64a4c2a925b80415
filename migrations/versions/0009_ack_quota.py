"""acknowledgement slots per mailbox

`ack_quota` holds each mailbox's automatic-answer slots, keyed on (channel, normalised
address, slot): the cap is counted per mailbox (x+1@ and x+2@ are x@) and enforced under
a row lock instead of by counting sent mail. Answers sent before this revision are not
carried over: each mailbox starts with its slots free.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07 02:30:00.000000
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('ack_quota',
    sa.Column('channel', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('normalised_address', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('slot', sa.Integer(), nullable=False),
    sa.Column('used_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('message_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['message_id'], ['message.id'], ),
    sa.PrimaryKeyConstraint('channel', 'normalised_address', 'slot')
    )


def downgrade() -> None:
    op.drop_table('ack_quota')
