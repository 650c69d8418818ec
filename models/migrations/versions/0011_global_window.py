"""global window: export details of products, certifications and their verification, currency
rates, inquiries and their conversation, the weekly showcase posts, the buyer's currency

Revision ID: 0011
Revises: 0008
Create Date: 2026-12-04 18:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_text = sqlmodel.sql.sqltypes.AutoString


def upgrade() -> None:
    with op.batch_alter_table("products") as batch_op:
        batch_op.add_column(sa.Column("hs_code", _text(length=10), nullable=True))
        batch_op.add_column(sa.Column("export_moq", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("monthly_capacity", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("weight_grams", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("dimensions_cm", _text(length=40), nullable=True))
        batch_op.add_column(sa.Column("shelf_life_days", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("text_id_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True)
        )
        batch_op.add_column(
            sa.Column("text_en_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True)
        )
    with op.batch_alter_table("users") as batch_op:
        batch_op.add_column(sa.Column("currency", _text(length=3), nullable=True))
    op.create_table(
        "certifications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("merchant_id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=True),
        sa.Column("product_key", sa.Integer(), nullable=False),
        sa.Column("kind", _text(length=16), nullable=False),
        sa.Column("number", _text(length=40), nullable=False),
        sa.Column("status", _text(length=16), nullable=False),
        sa.Column("submitted_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("decided_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("decided_by", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(["merchant_id"], ["merchants.id"]),
        sa.ForeignKeyConstraint(["product_id"], ["products.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("merchant_id", "product_key", "kind"),
    )
    op.create_index("ix_certifications_merchant_id", "certifications", ["merchant_id"])
    op.create_index("ix_certifications_product_id", "certifications", ["product_id"])
    op.create_index("ix_certifications_status", "certifications", ["status"])
    op.create_table(
        "currency_rates",
        sa.Column("code", _text(length=3), nullable=False),
        sa.Column("rupiah", sa.Float(), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("set_by", sa.BigInteger(), nullable=True),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("code"),
    )
    op.create_table(
        "inquiries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("merchant_id", sa.Integer(), nullable=False),
        sa.Column("buyer_id", sa.Integer(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("country", _text(length=2), nullable=False),
        sa.Column("buyer_language", _text(length=8), nullable=False),
        sa.Column("status", _text(length=16), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("answered_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("quoted_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("closed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["buyer_id"], ["users.id"]),
        sa.ForeignKeyConstraint(["merchant_id"], ["merchants.id"]),
        sa.ForeignKeyConstraint(["product_id"], ["products.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_inquiries_buyer_id", "inquiries", ["buyer_id"])
    op.create_index("ix_inquiries_created_at", "inquiries", ["created_at"])
    op.create_index("ix_inquiries_product_id", "inquiries", ["product_id"])
    op.create_index("ix_inquiries_merchant_status", "inquiries", ["merchant_id", "status"])
    op.create_table(
        "inquiry_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("inquiry_id", sa.Integer(), nullable=False),
        sa.Column("from_shop", sa.Boolean(), nullable=False),
        sa.Column("is_quote", sa.Boolean(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["author_id"], ["users.id"]),
        sa.ForeignKeyConstraint(["inquiry_id"], ["inquiries.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_inquiry_messages_inquiry_id", "inquiry_messages", ["inquiry_id"])
    op.create_table(
        "showcase_posts",
        sa.Column("week", sa.Date(), nullable=False),
        sa.Column("status", _text(length=16), nullable=False),
        sa.Column("product_ids", sa.Text(), nullable=False),
        sa.Column("claimed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("posted_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("decided_by", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("week"),
    )


def downgrade() -> None:
    op.drop_table("showcase_posts")
    op.drop_index("ix_inquiry_messages_inquiry_id", table_name="inquiry_messages")
    op.drop_table("inquiry_messages")
    for name in ("merchant_status", "product_id", "created_at", "buyer_id"):
        op.drop_index(f"ix_inquiries_{name}", table_name="inquiries")
    op.drop_table("inquiries")
    op.drop_table("currency_rates")
    for name in ("status", "product_id", "merchant_id"):
        op.drop_index(f"ix_certifications_{name}", table_name="certifications")
    op.drop_table("certifications")
    with op.batch_alter_table("users") as batch_op:
        batch_op.drop_column("currency")
    with op.batch_alter_table("products") as batch_op:
        for column in (
            "text_en_at", "text_id_at", "shelf_life_days", "dimensions_cm", "weight_grams",
            "monthly_capacity", "export_moq", "hs_code",
        ):  # fmt: skip
            batch_op.drop_column(column)
