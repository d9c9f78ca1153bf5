"""API keys and idempotency keys of the HTTP API

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 18:20:00

api_keys: the callers of /api/v1 (an intake system or a person), the SHA-256 of each token
only, revocable. api_idempotency: the Idempotency-Key a caller filed a complaint with, unique
per key, so a retried filing returns the same case (issue 17 §1).
"""
from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = '0008'
down_revision: str | Sequence[str] | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'api_keys',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=48), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('scope', sa.String(length=16), nullable=False),
        sa.Column('person_key', sa.String(length=64), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('revoked_at', sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_api_keys')),
        sa.UniqueConstraint('name', name=op.f('uq_api_keys_name')),
        sa.UniqueConstraint('token_hash', name=op.f('uq_api_keys_token_hash')),
    )
    op.create_table(
        'api_idempotency',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('key', sa.String(length=128), nullable=False),
        sa.Column('api_key_id', sa.Integer(), nullable=False),
        sa.Column('complaint_number', sa.String(length=32), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_api_idempotency')),
        sa.UniqueConstraint('api_key_id', 'key', name=op.f('uq_api_idempotency_api_key_id')),
    )


def downgrade() -> None:
    op.drop_table('api_idempotency')
    op.drop_table('api_keys')
