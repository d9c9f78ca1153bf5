"""Several workers: leases and flow-run processes

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-05 12:55:00

worker_leases: each worker's presence and the one lease for the installation's chores
(reconciling, restarting dead runs); run_processes: the process of each flow run's current
segment, so a worker never reschedules a run another worker's process still runs (issue 20 §2).
"""
from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = '0016'
down_revision: str | Sequence[str] | None = '0015'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'worker_leases',
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('holder', sa.String(length=200), nullable=False),
        sa.Column('expires_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('name', name=op.f('pk_worker_leases')),
    )
    op.create_table(
        'run_processes',
        sa.Column('flow_run_id', sa.String(length=36), nullable=False),
        sa.Column('state_id', sa.String(length=36), nullable=False),
        sa.Column('holder', sa.String(length=200), nullable=False),
        sa.Column('host', sa.String(length=200), nullable=False),
        sa.Column('pid', sa.Integer(), nullable=False),
        sa.Column('recorded_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('flow_run_id', name=op.f('pk_run_processes')),
    )


def downgrade() -> None:
    op.drop_table('run_processes')
    op.drop_table('worker_leases')
