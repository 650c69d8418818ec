"""broadcasts: progress message, draft key (one broadcast per confirmed draft), sender's OPD

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27 19:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("broadcasts", sa.Column("progress_message_id", sa.BigInteger(), nullable=True))
    op.add_column("broadcasts", sa.Column("draft_key", sa.String(length=32), nullable=True))
    op.add_column("broadcasts", sa.Column("sender_opd", sa.String(length=200), nullable=True))
    op.create_index("ix_broadcasts_draft_key", "broadcasts", ["draft_key"], unique=True)


def downgrade() -> None:
    op.drop_index("ix_broadcasts_draft_key", table_name="broadcasts")
    with op.batch_alter_table("broadcasts") as batch_op:
        batch_op.drop_column("sender_opd")
        batch_op.drop_column("draft_key")
        batch_op.drop_column("progress_message_id")
