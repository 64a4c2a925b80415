"""delivery receipts, claim tokens and a retry window for outbound mail

`delivery_receipt` records the channel's acceptance of each outbound message, keyed by its
Message-ID, the moment it is known; `message.claim_token` names the worker holding a claim,
so a worker that lost its lease writes nothing over the next one's; `message.retry_until`
ends the retries of a mail that keeps failing (it is then parked, not failed).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07 02:00:00.000000
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('delivery_receipt',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('channel', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('external_id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('message_id', sa.Integer(), nullable=False),
    sa.Column('attempt', sa.Integer(), nullable=False),
    sa.Column('accepted_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('detail', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.ForeignKeyConstraint(['message_id'], ['message.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('channel', 'external_id', name='uq_delivery_receipt_channel_external_id')
    )
    with op.batch_alter_table('message', schema=None) as batch_op:
        batch_op.add_column(sa.Column('claim_token', sqlmodel.sql.sqltypes.AutoString(), nullable=True))
        batch_op.add_column(sa.Column('retry_until', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))


def downgrade() -> None:
    # A parked mail has no place in the old statuses: it goes back to failed.
    op.execute("UPDATE message SET status = 'failed' WHERE status = 'parked'")
    with op.batch_alter_table('message', schema=None) as batch_op:
        batch_op.drop_column('retry_until')
        batch_op.drop_column('claim_token')
    op.drop_table('delivery_receipt')
