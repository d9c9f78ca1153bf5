"""customer registry: registration, territory, temporary grade

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 12:20:00

Shared by the new-customer process (registration, temporary grade) and the tier assessment
(territory, grade review).
"""
from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = '0002'
down_revision: str | Sequence[str] | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('customers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('registered_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('territory', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('grade_temporary', sa.Boolean(), server_default=sa.false(),
                                      nullable=False))
        batch_op.add_column(sa.Column('grade_review_due_at', sa.DateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('customers', schema=None) as batch_op:
        batch_op.drop_column('grade_review_due_at')
        batch_op.drop_column('grade_temporary')
        batch_op.drop_column('territory')
        batch_op.drop_column('registered_at')
