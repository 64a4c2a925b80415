"""named agent tokens

An agent holds several API tokens, each with a name; `agent.token_hash` (one token per
agent) is moved into the new table as the agent's token named "default" and cleared.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-06 23:30:00.000000
"""
from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('agent_token',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('agent_id', sa.Integer(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('token_hash', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['agent_id'], ['agent.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('agent_id', 'name', name='uq_agent_token_agent_name')
    )
    with op.batch_alter_table('agent_token', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_agent_token_token_hash'), ['token_hash'], unique=True)

    # The token an agent already has keeps working, under the name "default".
    agent = sa.table('agent', sa.column('id', sa.Integer()),
                     sa.column('token_hash', sqlmodel.sql.sqltypes.AutoString()))
    tokens = sa.table('agent_token', sa.column('agent_id', sa.Integer()),
                      sa.column('name', sqlmodel.sql.sqltypes.AutoString()),
                      sa.column('token_hash', sqlmodel.sql.sqltypes.AutoString()),
                      sa.column('created_at', sqlmodel.sql.sqltypes.UTCDateTime()))
    now = sa.literal(datetime.now(UTC), sqlmodel.sql.sqltypes.UTCDateTime())
    op.execute(tokens.insert().from_select(
        ['agent_id', 'name', 'token_hash', 'created_at'],
        sa.select(agent.c.id, sa.literal('default'), agent.c.token_hash, now)
        .where(agent.c.token_hash.is_not(None))))
    op.execute(agent.update().values(token_hash=None))


def downgrade() -> None:
    # Back to one token per agent: the newest one is kept, the others stop working.
    op.execute("UPDATE agent SET token_hash = (SELECT t.token_hash FROM agent_token t "
               "WHERE t.agent_id = agent.id ORDER BY t.created_at DESC, t.id DESC LIMIT 1)")
    with op.batch_alter_table('agent_token', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_agent_token_token_hash'))

    op.drop_table('agent_token')
