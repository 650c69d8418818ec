"""handled_updates: every Telegram update is handled once, also when Telegram delivers it again

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03 18:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "handled_updates",
        sa.Column("update_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("handled_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("update_id"),
    )
    op.create_index("ix_handled_updates_handled_at", "handled_updates", ["handled_at"])


def downgrade() -> None:
    op.drop_index("ix_handled_updates_handled_at", table_name="handled_updates")
    op.drop_table("handled_updates")
