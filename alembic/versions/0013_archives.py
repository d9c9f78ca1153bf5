"""Customer archives: secrecy levels and borrowing/destruction requests

Revision ID: 0013
Revises: 0011
Create Date: 2026-12-05 12:40:00

secrecy_marks: a record's level (秘密/机密/绝密) and the end of its secrecy period (000 D11);
archive_requests: 借阅 and 销毁 requests with their loans (000 D9 §1.5, 004 第19条, 001 §6.10).
"""
from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = '0013'
down_revision: str | Sequence[str] | None = '0011'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'secrecy_marks',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('record_kind', sa.String(length=16), nullable=False),
        sa.Column('record_key', sa.String(length=64), nullable=False),
        sa.Column('level', sa.String(length=16), nullable=False),
        sa.Column('marked_by', sa.String(length=64), nullable=False),
        sa.Column('marked_at', sa.DateTime(), nullable=False),
        sa.Column('secret_until', sa.DateTime(), nullable=True),
        sa.Column('destroyed_at', sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_secrecy_marks')),
        sa.UniqueConstraint('record_kind', 'record_key',
                            name=op.f('uq_secrecy_marks_record_kind')),
    )
    op.create_table(
        'archive_requests',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('number', sa.String(length=32), nullable=False),
        sa.Column('uid', sa.String(length=36), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('record_kind', sa.String(length=16), nullable=False),
        sa.Column('record_key', sa.String(length=64), nullable=False),
        sa.Column('requester_key', sa.String(length=64), nullable=False),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('requested_at', sa.DateTime(), nullable=False),
        sa.Column('lent_at', sa.DateTime(), nullable=True),
        sa.Column('due_at', sa.DateTime(), nullable=True),
        sa.Column('returned_at', sa.DateTime(), nullable=True),
        sa.Column('flow_run_id', sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_archive_requests')),
        sa.UniqueConstraint('number', name=op.f('uq_archive_requests_number')),
        sa.UniqueConstraint('uid', name=op.f('uq_archive_requests_uid')),
    )
    op.create_index('ix_archive_requests_record', 'archive_requests',
                    ['record_kind', 'record_key'])


def downgrade() -> None:
    op.drop_index('ix_archive_requests_record', table_name='archive_requests')
    op.drop_table('archive_requests')
    op.drop_table('secrecy_marks')
