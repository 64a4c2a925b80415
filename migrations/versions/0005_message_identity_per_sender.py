"""a message's identity is (channel, sender, external id)

Anybody can write any Message-ID. Unique per channel alone, a stranger reusing a
customer's id had their mail dropped as "already have it"; unique per sender, a
redelivery by the same sender is still a no-op and a collision is another message. The
ids stay indexed per channel for threading, which looks up referenced ids whoever sent
them.

SQLite rebuilds the table to change a constraint (batch mode); the rebuild re-creates the
table's other indexes from reflection, 0004's partial ix_message_live with its WHERE
(tests/router/test_migration_0005.py looks).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-22 10:00:00.000000
"""
from collections.abc import Sequence

from alembic import op

revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _rebuild(old: tuple[str, list[str]], new: tuple[str, list[str]], index: bool) -> None:
    with op.batch_alter_table('message', schema=None) as batch_op:
        batch_op.drop_constraint(old[0], type_='unique')
        batch_op.create_unique_constraint(new[0], new[1])
        if index:
            batch_op.create_index('ix_message_channel_external_id', ['channel', 'external_id'], unique=False)
        else:
            batch_op.drop_index('ix_message_channel_external_id')


def upgrade() -> None:
    _rebuild(('uq_message_channel_external_id', ['channel', 'external_id']),
             ('uq_message_channel_sender_external_id', ['channel', 'sender', 'external_id']), index=True)


def downgrade() -> None:
    # Fails while two senders' messages share an external id: there is no way back without
    # deleting one of them, and that is for a person to decide.
    _rebuild(('uq_message_channel_sender_external_id', ['channel', 'sender', 'external_id']),
             ('uq_message_channel_external_id', ['channel', 'external_id']), index=False)
