"""agent passwords

Agents sign in to the dashboard with a password (`msgrouter passwd NAME`); the column holds
the hasher's string (argon2id with its salt and cost), never the password. NULL: no password
set, so the agent cannot sign in to the dashboard (API tokens are unaffected).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-08 03:20:00.000000
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0012'
down_revision: str | None = '0011'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('agent', schema=None) as batch_op:
        batch_op.add_column(sa.Column('password_hash', sqlmodel.sql.sqltypes.AutoString(), nullable=True))


def downgrade() -> None:
    # Not a batch: a batch copies and drops the agent table, which SQLite's foreign keys
    # (switched on by router.storage.db) refuse; SQLite 3.35+ drops a plain column in place.
    op.drop_column('agent', 'password_hash')
