"""approvers' inbox: signers per step, accounts, delegations, link tokens, audit log

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 14:50:00

approval_tasks gets slot/seq/mode (several signers per step: 会签, 或签, 加签); its unique key
becomes (case_number, step, round, slot). audit_log is append-only: a trigger refuses UPDATE
and DELETE on both SQLite and PostgreSQL.
"""
from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = '0005'
down_revision: str | Sequence[str] | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('approval_tasks', schema=None) as batch_op:
        batch_op.add_column(sa.Column('slot', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('seq', sa.Float(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('mode', sa.String(length=16), server_default='single',
                                      nullable=False))
        batch_op.drop_constraint('uq_approval_tasks_case_number', type_='unique')
        batch_op.create_unique_constraint('uq_approval_tasks_signer',
                                          ['case_number', 'step', 'round', 'slot'])
    op.create_table(
        'accounts',
        sa.Column('person_key', sa.String(length=64), nullable=False),
        sa.Column('password_hash', sa.String(length=256), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('person_key', name=op.f('pk_accounts')),
    )
    op.create_table(
        'delegations',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('principal_key', sa.String(length=64), nullable=False),
        sa.Column('delegate_key', sa.String(length=64), nullable=False),
        sa.Column('starts_at', sa.DateTime(), nullable=False),
        sa.Column('ends_at', sa.DateTime(), nullable=True),
        sa.Column('revoked_at', sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_delegations')),
    )
    op.create_index('ix_delegations_delegate', 'delegations', ['delegate_key'])
    op.create_index(op.f('ix_delegations_principal_key'), 'delegations', ['principal_key'])
    op.create_table(
        'link_tokens',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('jti', sa.String(length=64), nullable=False),
        sa.Column('task_id', sa.Integer(), nullable=False),
        sa.Column('person_key', sa.String(length=64), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('expires_at', sa.DateTime(), nullable=False),
        sa.Column('used_at', sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_link_tokens')),
        sa.UniqueConstraint('jti', name=op.f('uq_link_tokens_jti')),
    )
    op.create_index(op.f('ix_link_tokens_task_id'), 'link_tokens', ['task_id'])
    op.create_table(
        'audit_log',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('at', sa.DateTime(), nullable=False),
        sa.Column('actor', sa.String(length=64), nullable=False),
        sa.Column('action', sa.String(length=48), nullable=False),
        sa.Column('outcome', sa.String(length=16), nullable=False),
        sa.Column('case_number', sa.String(length=32), nullable=True),
        sa.Column('task_id', sa.Integer(), nullable=True),
        sa.Column('via', sa.String(length=16), nullable=False),
        sa.Column('reason', sa.Text(), nullable=True),
        sa.Column('detail', sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_log')),
    )
    op.create_index(op.f('ix_audit_log_at'), 'audit_log', ['at'])
    op.create_index(op.f('ix_audit_log_case_number'), 'audit_log', ['case_number'])
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("""
            CREATE FUNCTION audit_log_append_only() RETURNS trigger AS $$
            BEGIN RAISE EXCEPTION 'audit_log is append-only'; END $$ LANGUAGE plpgsql""")
        op.execute("""
            CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
            FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()""")
    else:
        for verb in ('UPDATE', 'DELETE'):
            op.execute(f"""
                CREATE TRIGGER audit_log_no_{verb.lower()} BEFORE {verb} ON audit_log
                BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END""")


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("DROP TRIGGER IF EXISTS audit_log_append_only ON audit_log")
        op.execute("DROP FUNCTION IF EXISTS audit_log_append_only()")
    op.drop_table('audit_log')
    op.drop_table('link_tokens')
    op.drop_index('ix_delegations_delegate', table_name='delegations')
    op.drop_table('delegations')
    op.drop_table('accounts')
    with op.batch_alter_table('approval_tasks', schema=None) as batch_op:
        batch_op.drop_constraint('uq_approval_tasks_signer', type_='unique')
        batch_op.create_unique_constraint('uq_approval_tasks_case_number',
                                          ['case_number', 'step', 'round'])
        batch_op.drop_column('mode')
        batch_op.drop_column('seq')
        batch_op.drop_column('slot')
