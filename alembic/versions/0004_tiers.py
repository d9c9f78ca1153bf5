"""tier assessment: yearly figures, grade history, assessments, tier cases, complaint priority

Revision ID: 0004
Revises: 0003

000 D7 客户等级评定: customers' yearly figures, their grade history, the yearly assessments,
A-class applications / order exceptions / temporary-grade reviews, and complaint priority.
Create Date: 2026-11-23 14:32:49.854482

"""
from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

# revision identifiers, used by Alembic.
revision: str = '0004'
down_revision: str | Sequence[str] | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    
    op.create_table('tier_assessments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=32), nullable=False),
    sa.Column('uid', sa.String(length=36), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('figures_year', sa.Integer(), nullable=False),
    sa.Column('method', sa.String(length=16), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('proposals', sa.JSON(), nullable=False),
    sa.Column('results', sa.JSON(), nullable=False),
    sa.Column('started_at', sa.DateTime(), nullable=False),
    sa.Column('published_at', sa.DateTime(), nullable=True),
    sa.Column('result_file', sa.Text(), nullable=True),
    sa.Column('flow_run_id', sa.String(length=64), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tier_assessments')),
    sa.UniqueConstraint('number', name=op.f('uq_tier_assessments_number')),
    sa.UniqueConstraint('uid', name=op.f('uq_tier_assessments_uid')),
    sa.UniqueConstraint('year', name=op.f('uq_tier_assessments_year'))
    )
    op.create_table('customer_year_figures',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('sales', sa.Float(), nullable=False),
    sa.Column('growth', sa.Float(), nullable=False),
    sa.Column('overdue_payments', sa.Integer(), nullable=False),
    sa.Column('cooperation', sa.Float(), nullable=False),
    sa.Column('profit', sa.Float(), nullable=True),
    sa.Column('imported_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'],
                            name=op.f('fk_customer_year_figures_customer_id_customers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_customer_year_figures')),
    sa.UniqueConstraint('customer_id', 'year', name=op.f('uq_customer_year_figures_customer_id'))
    )
    with op.batch_alter_table('customer_year_figures', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_customer_year_figures_customer_id'), ['customer_id'], unique=False)

    op.create_table('grade_changes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('from_grade', sa.String(length=8), nullable=True),
    sa.Column('to_grade', sa.String(length=8), nullable=False),
    sa.Column('temporary', sa.Boolean(), nullable=False),
    sa.Column('changed_by', sa.String(length=64), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('source', sa.String(length=32), nullable=False),
    sa.Column('case_number', sa.String(length=32), nullable=True),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_grade_changes_customer_id_customers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_grade_changes'))
    )
    with op.batch_alter_table('grade_changes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_grade_changes_customer_id'), ['customer_id'], unique=False)

    op.create_table('tier_cases',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=32), nullable=False),
    sa.Column('uid', sa.String(length=36), nullable=False),
    sa.Column('kind', sa.String(length=24), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('requested_by', sa.String(length=64), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('detail', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('opened_at', sa.DateTime(), nullable=False),
    sa.Column('closed_at', sa.DateTime(), nullable=True),
    sa.Column('flow_run_id', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_tier_cases_customer_id_customers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tier_cases')),
    sa.UniqueConstraint('number', name=op.f('uq_tier_cases_number')),
    sa.UniqueConstraint('uid', name=op.f('uq_tier_cases_uid'))
    )
    with op.batch_alter_table('tier_cases', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_tier_cases_customer_id'), ['customer_id'], unique=False)

    with op.batch_alter_table('complaints', schema=None) as batch_op:
        batch_op.add_column(sa.Column('priority', sa.String(length=8), nullable=True))




def downgrade() -> None:
    """Downgrade schema."""
    
    with op.batch_alter_table('complaints', schema=None) as batch_op:
        batch_op.drop_column('priority')

    with op.batch_alter_table('tier_cases', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_tier_cases_customer_id'))

    op.drop_table('tier_cases')
    with op.batch_alter_table('grade_changes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_grade_changes_customer_id'))

    op.drop_table('grade_changes')
    with op.batch_alter_table('customer_year_figures', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_customer_year_figures_customer_id'))

    op.drop_table('customer_year_figures')
    op.drop_table('tier_assessments')

