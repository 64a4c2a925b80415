"""Investigating: since when the desk has been working on a conversation

The state `investigating` needs no schema (state is free text); the column says since
when, for the API and the dashboard. The next-reply clock it starts is
`next_reply_since`, already there (0010).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-28 10:00:00.000000
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0011'
down_revision: str | None = '0010'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('conversation', schema=None) as batch_op:
        batch_op.add_column(sa.Column('investigating_since', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('conversation', schema=None) as batch_op:
        batch_op.drop_column('investigating_since')
