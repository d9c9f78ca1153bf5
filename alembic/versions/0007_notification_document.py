"""outbox rows keep the message's document (HTML mail, robots' rich messages)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 18:00:00

notifications.document: the structure of the rendered message (paragraphs, the case's fields,
values and our own links tagged apart; notifications/render.py). The sender makes the mail's
text/html part and the DingTalk, WeCom and Feishu rich messages from it, escaping every value
(issue 16 §2–3, issue 19 §3). Rows written before have NULL and are sent as their plain text.
"""
from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = '0007'
down_revision: str | Sequence[str] | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('document', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_column('document')
