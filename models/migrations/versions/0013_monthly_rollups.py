"""monthly rollups: counted spend per ASN, paid sales per shop and per product, kept by triggers

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06 21:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

from models.rollups import create_triggers, drop_triggers, rebuild

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "quota_spend_months",
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("nip", sqlmodel.sql.sqltypes.AutoString(length=18), nullable=False),
        sa.Column("spent", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("month", "nip"),
    )
    op.create_table(
        "shop_sales_months",
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("merchant_id", sa.Integer(), nullable=False),
        sa.Column("orders", sa.Integer(), nullable=False),
        sa.Column("sales", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("month", "merchant_id"),
    )
    op.create_table(
        "product_sales_months",
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("lines", sa.Integer(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("month", "product_id"),
    )
    dialect = op.get_bind().dialect.name
    # Filled from the orders already there, then kept by the triggers (same transaction).
    for statement in [*rebuild(dialect), *create_triggers(dialect)]:
        op.execute(statement)


def downgrade() -> None:
    for statement in drop_triggers(op.get_bind().dialect.name):
        op.execute(statement)
    op.drop_table("product_sales_months")
    op.drop_table("shop_sales_months")
    op.drop_table("quota_spend_months")
