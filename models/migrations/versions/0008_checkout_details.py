"""checkout details: how the goods are handed over, the address and a note to the shop; the
English name of each order line; the buyer's last delivery address

Revision ID: 0008
Revises: 0005
Create Date: 2026-12-03 19:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0008"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("orders") as batch_op:
        batch_op.add_column(
            sa.Column("fulfilment", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True)
        )
        batch_op.add_column(
            sa.Column(
                "delivery_address", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=True
            )
        )
        batch_op.add_column(
            sa.Column("buyer_note", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True)
        )
    with op.batch_alter_table("order_items") as batch_op:
        batch_op.add_column(
            sa.Column("name_en", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=True)
        )
    with op.batch_alter_table("users") as batch_op:
        batch_op.add_column(
            sa.Column(
                "delivery_address", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=True
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("users") as batch_op:
        batch_op.drop_column("delivery_address")
    with op.batch_alter_table("order_items") as batch_op:
        batch_op.drop_column("name_en")
    with op.batch_alter_table("orders") as batch_op:
        batch_op.drop_column("buyer_note")
        batch_op.drop_column("delivery_address")
        batch_op.drop_column("fulfilment")
