"""automatic mail's reason and delivery report; IMAP cursors

Why intake judged a mail machine-written, and the parsed delivery status report of a
bounce, on the message; and how far `msgrouter imap` has read each mailbox (its
UIDVALIDITY and last UID), so a restart continues where it stopped.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07 12:00:00.000000
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('message', schema=None) as batch_op:
        batch_op.add_column(sa.Column('auto_reason', sqlmodel.sql.sqltypes.AutoString(), nullable=False,
                                      server_default=''))
        batch_op.add_column(sa.Column('delivery_report', sa.JSON(), nullable=True))
    op.create_table('imap_cursor',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('mailbox', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('uidvalidity', sa.BigInteger(), nullable=False),
    sa.Column('last_uid', sa.BigInteger(), nullable=False),
    sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('account', 'mailbox', name='uq_imap_cursor_account_mailbox')
    )


def downgrade() -> None:
    op.drop_table('imap_cursor')
    with op.batch_alter_table('message', schema=None) as batch_op:
        batch_op.drop_column('delivery_report')
        batch_op.drop_column('auto_reason')
