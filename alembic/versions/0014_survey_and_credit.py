"""Satisfaction surveys with their corrective actions; credit payments and over-limit shipments

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-05 12:40:00

survey_rounds and corrective_actions: the yearly 顾客满意度调查 and, below the policy's target,
its 纠正预防措施 (000 D4 §6). credit_payments and credit_requests: the goods payments that make
a customer's credit limit and the shipments checked against it (004 D2).
"""
from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = '0014'
down_revision: str | Sequence[str] | None = '0013'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MONEY = sa.Numeric(16, 2)


def upgrade() -> None:
    op.create_table(
        'survey_rounds',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('uid', sa.String(length=36), nullable=False),
        sa.Column('number', sa.String(length=32), nullable=False),
        sa.Column('year', sa.Integer(), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('opened_at', sa.DateTime(), nullable=False),
        sa.Column('results', sa.JSON(), nullable=True),
        sa.Column('responses', sa.Integer(), nullable=True),
        sa.Column('target_percent', sa.Float(), nullable=True),
        sa.Column('below_target', sa.JSON(), nullable=True),
        sa.Column('imported_at', sa.DateTime(), nullable=True),
        sa.Column('imported_by', sa.String(length=64), nullable=True),
        sa.Column('closed_at', sa.DateTime(), nullable=True),
        sa.Column('flow_run_id', sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_survey_rounds')),
        sa.UniqueConstraint('uid', name=op.f('uq_survey_rounds_uid')),
        sa.UniqueConstraint('number', name=op.f('uq_survey_rounds_number')),
        sa.UniqueConstraint('year', name=op.f('uq_survey_rounds_year')),
    )
    op.create_index(op.f('ix_survey_rounds_status'), 'survey_rounds', ['status'])
    op.create_table(
        'corrective_actions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('survey_id', sa.Integer(), nullable=False),
        sa.Column('round', sa.Integer(), nullable=False),
        sa.Column('aspects', sa.JSON(), nullable=False),
        sa.Column('owner_key', sa.String(length=64), nullable=False),
        sa.Column('plan', sa.Text(), nullable=True),
        sa.Column('due_at', sa.DateTime(), nullable=True),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('opened_at', sa.DateTime(), nullable=False),
        sa.Column('approved_at', sa.DateTime(), nullable=True),
        sa.Column('checked_at', sa.DateTime(), nullable=True),
        sa.Column('effective', sa.Boolean(), nullable=True),
        sa.ForeignKeyConstraint(['survey_id'], ['survey_rounds.id'],
                                name=op.f('fk_corrective_actions_survey_id_survey_rounds')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_corrective_actions')),
    )
    op.create_index(op.f('ix_corrective_actions_survey_id'), 'corrective_actions', ['survey_id'])
    op.create_table(
        'credit_payments',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('customer_id', sa.Integer(), nullable=False),
        sa.Column('amount', MONEY, nullable=False),
        sa.Column('paid_on', sa.Date(), nullable=False),
        sa.Column('recorded_at', sa.DateTime(), nullable=False),
        sa.Column('recorded_by', sa.String(length=64), nullable=False),
        sa.Column('note', sa.String(length=256), nullable=True),
        sa.ForeignKeyConstraint(['customer_id'], ['customers.id'],
                                name=op.f('fk_credit_payments_customer_id_customers')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_credit_payments')),
    )
    op.create_index(op.f('ix_credit_payments_customer_id'), 'credit_payments', ['customer_id'])
    op.create_table(
        'credit_requests',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('uid', sa.String(length=36), nullable=False),
        sa.Column('number', sa.String(length=32), nullable=False),
        sa.Column('customer_id', sa.Integer(), nullable=False),
        sa.Column('amount', MONEY, nullable=False),
        sa.Column('ship_on', sa.Date(), nullable=False),
        sa.Column('credit_limit', MONEY, nullable=False),
        sa.Column('excess', MONEY, nullable=False),
        sa.Column('approver_key', sa.String(length=64), nullable=True),
        sa.Column('approver_level', sa.Integer(), nullable=True),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('requested_by', sa.String(length=64), nullable=False),
        sa.Column('requested_at', sa.DateTime(), nullable=False),
        sa.Column('decided_by', sa.String(length=64), nullable=True),
        sa.Column('decided_at', sa.DateTime(), nullable=True),
        sa.Column('comment', sa.Text(), nullable=True),
        sa.Column('flow_run_id', sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(['customer_id'], ['customers.id'],
                                name=op.f('fk_credit_requests_customer_id_customers')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_credit_requests')),
        sa.UniqueConstraint('uid', name=op.f('uq_credit_requests_uid')),
        sa.UniqueConstraint('number', name=op.f('uq_credit_requests_number')),
    )
    op.create_index(op.f('ix_credit_requests_customer_id'), 'credit_requests', ['customer_id'])
    op.create_index(op.f('ix_credit_requests_status'), 'credit_requests', ['status'])


def downgrade() -> None:
    op.drop_index(op.f('ix_credit_requests_status'), table_name='credit_requests')
    op.drop_index(op.f('ix_credit_requests_customer_id'), table_name='credit_requests')
    op.drop_table('credit_requests')
    op.drop_index(op.f('ix_credit_payments_customer_id'), table_name='credit_payments')
    op.drop_table('credit_payments')
    op.drop_index(op.f('ix_corrective_actions_survey_id'), table_name='corrective_actions')
    op.drop_table('corrective_actions')
    op.drop_index(op.f('ix_survey_rounds_status'), table_name='survey_rounds')
    op.drop_table('survey_rounds')
