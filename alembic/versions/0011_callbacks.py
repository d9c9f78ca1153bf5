"""Callbacks (回访, 004 D14)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-05 12:45:00

callbacks: each handled case considered for the callback sample once (chosen or not, with its
score), and the callback of a chosen one: caller, due time, rounds, satisfaction (issue 18 §1).
"""
from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = '0011'
down_revision: str | Sequence[str] | None = '0010'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'callbacks',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('number', sa.String(length=32), nullable=True),
        sa.Column('uid', sa.String(length=36), nullable=False),
        sa.Column('policy_name', sa.String(length=64), nullable=False),
        sa.Column('kind', sa.String(length=32), nullable=False),
        sa.Column('source_number', sa.String(length=64), nullable=False),
        sa.Column('customer_id', sa.Integer(), nullable=True),
        sa.Column('department_key', sa.String(length=64), nullable=True),
        sa.Column('important', sa.Boolean(), nullable=False),
        sa.Column('handled_at', sa.DateTime(), nullable=False),
        sa.Column('sample_score', sa.Float(), nullable=False),
        sa.Column('sample_share', sa.Float(), nullable=False),
        sa.Column('chosen', sa.Boolean(), nullable=False),
        sa.Column('drawn_at', sa.DateTime(), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('caller_key', sa.String(length=64), nullable=True),
        sa.Column('due_at', sa.DateTime(), nullable=True),
        sa.Column('round', sa.Integer(), nullable=False),
        sa.Column('satisfied', sa.Boolean(), nullable=True),
        sa.Column('note', sa.Text(), nullable=True),
        sa.Column('called_at', sa.DateTime(), nullable=True),
        sa.Column('closed_at', sa.DateTime(), nullable=True),
        sa.Column('flow_run_id', sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(['customer_id'], ['customers.id'],
                                name=op.f('fk_callbacks_customer_id_customers')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_callbacks')),
        sa.UniqueConstraint('kind', 'source_number', name=op.f('uq_callbacks_kind')),
        sa.UniqueConstraint('number', name=op.f('uq_callbacks_number')),
        sa.UniqueConstraint('uid', name=op.f('uq_callbacks_uid')),
    )
    op.create_index('ix_callbacks_status', 'callbacks', ['status'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_callbacks_status', table_name='callbacks')
    op.drop_table('callbacks')
