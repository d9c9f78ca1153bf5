"""approval tasks that open later (scheduled reviews)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-05 09:00:00

approval_tasks.opens_at: a task asked ahead of its time (the 180-day special study, the
365-day report) is stored as ``scheduled`` and opens — becomes pending and is mailed — when
the sweep finds opens_at passed (issue 21 §2); request_event is the message its process chose
for that moment. The index serves the sweep's one range query on (status, opens_at). Rows
written before are tasks asked at once: NULL in both.
"""
from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = '0009'
down_revision: str | Sequence[str] | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('approval_tasks', schema=None) as batch_op:
        batch_op.add_column(sa.Column('opens_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('request_event', sa.String(length=64), nullable=True))
        batch_op.create_index('ix_approval_tasks_status_opens_at', ['status', 'opens_at'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('approval_tasks', schema=None) as batch_op:
        batch_op.drop_index('ix_approval_tasks_status_opens_at')
        batch_op.drop_column('request_event')
        batch_op.drop_column('opens_at')
