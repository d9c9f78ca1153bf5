"""Mail read from the complaints mailbox

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05 09:20:00

mailbox_messages: each mail ``kefu mailbox poll`` has read, by its Message-ID (unique, so a
mail is filed once), with the case it became or the reason it could not be filed (issue 17 §2).
"""
from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = '0010'
down_revision: str | Sequence[str] | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'mailbox_messages',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('message_id', sa.String(length=255), nullable=False),
        sa.Column('sender', sa.String(length=320), nullable=False),
        sa.Column('subject', sa.String(length=200), nullable=False),
        sa.Column('read_at', sa.DateTime(), nullable=False),
        sa.Column('complaint_number', sa.String(length=32), nullable=True),
        sa.Column('refused_reason', sa.String(length=500), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_mailbox_messages')),
        sa.UniqueConstraint('message_id', name=op.f('uq_mailbox_messages_message_id')),
    )


def downgrade() -> None:
    op.drop_table('mailbox_messages')
