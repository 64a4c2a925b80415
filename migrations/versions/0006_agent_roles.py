"""agent roles

Each agent gets a role (agent, supervisor or admin) from the desk file; agents already
stored are plain agents until the next desk sync says otherwise.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07 02:00:00.000000
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('agent', schema=None) as batch_op:
        batch_op.add_column(sa.Column('role', sqlmodel.sql.sqltypes.AutoString(), nullable=False,
                                      server_default='agent'))


def downgrade() -> None:
    # Not a batch: a batch copies and drops the agent table, which the foreign keys of
    # SQLite (switched on by router.storage.db) refuse. SQLite 3.35+ drops a plain column in place.
    op.drop_column('agent', 'role')
