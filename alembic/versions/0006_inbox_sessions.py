"""inbox sessions on the server, login throttling

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26 10:00:00

inbox_sessions: one row per logged-in browser (the SHA-256 of the cookie's token), so logout
and a password change end sessions and a session has an absolute end. login_throttles: failed
logins per account and per client address, and the locks they earned (issue 19, items 5, 6).
"""
from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = '0006'
down_revision: str | Sequence[str] | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'inbox_sessions',
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('person_key', sa.String(length=64), nullable=False),
        sa.Column('csrf', sa.String(length=64), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('expires_at', sa.DateTime(), nullable=False),
        sa.Column('ended_at', sa.DateTime(), nullable=True),
        sa.Column('end_reason', sa.String(length=32), nullable=True),
        sa.PrimaryKeyConstraint('token_hash', name=op.f('pk_inbox_sessions')),
    )
    op.create_index(op.f('ix_inbox_sessions_person_key'), 'inbox_sessions', ['person_key'])
    op.create_index(op.f('ix_inbox_sessions_expires_at'), 'inbox_sessions', ['expires_at'])
    op.create_table(
        'login_throttles',
        sa.Column('scope', sa.String(length=16), nullable=False),
        sa.Column('key', sa.String(length=64), nullable=False),
        sa.Column('failures', sa.Integer(), server_default='0', nullable=False),
        sa.Column('window_started_at', sa.DateTime(), nullable=True),
        sa.Column('locks', sa.Integer(), server_default='0', nullable=False),
        sa.Column('locked_until', sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint('scope', 'key', name=op.f('pk_login_throttles')),
    )


def downgrade() -> None:
    op.drop_table('login_throttles')
    op.drop_index(op.f('ix_inbox_sessions_expires_at'), table_name='inbox_sessions')
    op.drop_index(op.f('ix_inbox_sessions_person_key'), table_name='inbox_sessions')
    op.drop_table('inbox_sessions')
