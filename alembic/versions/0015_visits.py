"""Visit plans, planned visits with their reports, site-visit requests

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-05 12:50:00

visit_plans: a salesperson's 拜访计划书 for a month (one per person and month); planned_visits:
its visits, each with its 客户拜访报告 once filed; site_visit_requests: a customer's request to
visit the site with the time its notice runs out (004 客户拜访管理办法, 002 第二条; issue 18 §4).
"""
from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = '0015'
down_revision: str | Sequence[str] | None = '0014'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'visit_plans',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('uid', sa.String(length=36), nullable=False),
        sa.Column('number', sa.String(length=32), nullable=False),
        sa.Column('salesperson_key', sa.String(length=64), nullable=False),
        sa.Column('month', sa.String(length=7), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('round', sa.Integer(), nullable=False),
        sa.Column('due_at', sa.DateTime(), nullable=False),
        sa.Column('opened_at', sa.DateTime(), nullable=False),
        sa.Column('submitted_at', sa.DateTime(), nullable=True),
        sa.Column('approved_at', sa.DateTime(), nullable=True),
        sa.Column('flow_run_id', sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_visit_plans')),
        sa.UniqueConstraint('number', name=op.f('uq_visit_plans_number')),
        sa.UniqueConstraint('uid', name=op.f('uq_visit_plans_uid')),
        sa.UniqueConstraint('salesperson_key', 'month', name=op.f('uq_visit_plans_salesperson_key')),
    )
    op.create_index(op.f('ix_visit_plans_status'), 'visit_plans', ['status'])
    op.create_table(
        'planned_visits',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('plan_id', sa.Integer(), nullable=False),
        sa.Column('seq', sa.Integer(), nullable=False),
        sa.Column('number', sa.String(length=32), nullable=False),
        sa.Column('visit_on', sa.Date(), nullable=False),
        sa.Column('customer', sa.String(length=128), nullable=False),
        sa.Column('purpose', sa.Text(), nullable=False),
        sa.Column('report', sa.Text(), nullable=True),
        sa.Column('reported_at', sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(['plan_id'], ['visit_plans.id'],
                                name=op.f('fk_planned_visits_plan_id_visit_plans')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_planned_visits')),
        sa.UniqueConstraint('number', name=op.f('uq_planned_visits_number')),
    )
    op.create_index(op.f('ix_planned_visits_plan_id'), 'planned_visits', ['plan_id'])
    op.create_table(
        'site_visit_requests',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('uid', sa.String(length=36), nullable=False),
        sa.Column('number', sa.String(length=32), nullable=False),
        sa.Column('customer', sa.String(length=128), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('visitors', sa.Integer(), nullable=False),
        sa.Column('visit_at', sa.DateTime(), nullable=False),
        sa.Column('confirm_by', sa.DateTime(), nullable=False),
        sa.Column('requested_by', sa.String(length=64), nullable=False),
        sa.Column('requested_at', sa.DateTime(), nullable=False),
        sa.Column('note', sa.Text(), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('decided_at', sa.DateTime(), nullable=True),
        sa.Column('flow_run_id', sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_site_visit_requests')),
        sa.UniqueConstraint('number', name=op.f('uq_site_visit_requests_number')),
        sa.UniqueConstraint('uid', name=op.f('uq_site_visit_requests_uid')),
    )
    op.create_index(op.f('ix_site_visit_requests_status'), 'site_visit_requests', ['status'])


def downgrade() -> None:
    op.drop_index(op.f('ix_site_visit_requests_status'), table_name='site_visit_requests')
    op.drop_table('site_visit_requests')
    op.drop_index(op.f('ix_planned_visits_plan_id'), table_name='planned_visits')
    op.drop_table('planned_visits')
    op.drop_index(op.f('ix_visit_plans_status'), table_name='visit_plans')
    op.drop_table('visit_plans')
