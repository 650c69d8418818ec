"""price history of every product (who, when, old and new price); administrators' verdicts on
the red flags of a month

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04 19:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "price_history",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("old_price", sa.Integer(), nullable=False),
        sa.Column("new_price", sa.Integer(), nullable=False),
        sa.Column("changed_by", sa.Integer(), nullable=True),
        sa.Column("source", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["changed_by"], ["users.id"]),
        sa.ForeignKeyConstraint(["product_id"], ["products.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("price_history", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_price_history_at"), ["at"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_price_history_product_id"), ["product_id"], unique=False
        )
    op.create_table(
        "flag_reviews",
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("flag_key", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("verdict", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("note", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.Column("reviewed_by", sa.BigInteger(), nullable=False),
        sa.Column("reviewed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("month", "flag_key"),
    )


def downgrade() -> None:
    op.drop_table("flag_reviews")
    with op.batch_alter_table("price_history", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_price_history_product_id"))
        batch_op.drop_index(batch_op.f("ix_price_history_at"))
    op.drop_table("price_history")
