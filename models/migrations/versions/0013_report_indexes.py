"""an index covering the month's paid orders: spend per ASN, sales and the shops without
sales are read from the index alone (bench/scale.py: 2.5 million orders a month)

Revision ID: 0013
Revises: 0008
Create Date: 2026-12-04 18:45:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0013"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = ["paid_at", "status", "counts_for_quota", "buyer_nip", "total", "merchant_id"]


def upgrade() -> None:
    op.create_index("ix_orders_paid_cover", "orders", COLUMNS)


def downgrade() -> None:
    op.drop_index("ix_orders_paid_cover", table_name="orders")
