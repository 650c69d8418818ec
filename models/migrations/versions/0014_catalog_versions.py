"""catalog versions: counters moved by triggers with every change a catalog screen shows

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06 22:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from models.catalog_versions import create_triggers, drop_triggers

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "catalog_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("catalog", sa.BigInteger(), nullable=False),
        sa.Column("sales", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.execute("INSERT INTO catalog_versions (id, catalog, sales) VALUES (1, 0, 0)")
    for statement in create_triggers(op.get_bind().dialect.name):
        op.execute(statement)


def downgrade() -> None:
    for statement in drop_triggers(op.get_bind().dialect.name):
        op.execute(statement)
    op.drop_table("catalog_versions")
