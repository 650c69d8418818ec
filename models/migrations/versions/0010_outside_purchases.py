"""purchases outside the catalog (with their photos), exemption requests by ASN, declared
outages (deadline credit)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04 18:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "outages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("starts_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("ends_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("credit_days", sa.Integer(), nullable=False),
        sa.Column("declared_by", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("outages", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_outages_month"), ["month"], unique=False)

    op.create_table(
        "exemption_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("nip", sqlmodel.sql.sqltypes.AutoString(length=18), nullable=False),
        sa.Column("opd", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("note", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("photo_file_id", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("decline_reason", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.Column("exemption_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("decided_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("decided_by", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["exemption_id"],
            ["quota_exemptions.id"],
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("exemption_requests", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_exemption_requests_nip"), ["nip"], unique=False)
        batch_op.create_index(batch_op.f("ix_exemption_requests_opd"), ["opd"], unique=False)
        batch_op.create_index(batch_op.f("ix_exemption_requests_status"), ["status"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_exemption_requests_user_id"), ["user_id"], unique=False
        )

    op.create_table(
        "outside_purchases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("nip", sqlmodel.sql.sqltypes.AutoString(length=18), nullable=False),
        sa.Column("opd", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("shop_name", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("shop_key", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("kecamatan", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("kelurahan", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column("items", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("amount", sa.Integer(), nullable=False),
        sa.Column("purchase_date", sa.Date(), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("reject_reason", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("decided_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("decided_by", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("outside_purchases", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_outside_purchases_nip"), ["nip"], unique=False)
        batch_op.create_index(batch_op.f("ix_outside_purchases_opd"), ["opd"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_outside_purchases_purchase_date"), ["purchase_date"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_outside_purchases_shop_key"), ["shop_key"], unique=False
        )
        batch_op.create_index(
            "ix_outside_purchases_status_created", ["status", "created_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_outside_purchases_user_id"), ["user_id"], unique=False
        )

    op.create_table(
        "outside_photos",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("purchase_id", sa.Integer(), nullable=True),
        sa.Column("file_id", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("phash", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("crop_hashes", sa.Text(), nullable=False),
        sa.Column("exif_date", sa.Date(), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["owner_id"],
            ["users.id"],
        ),
        sa.ForeignKeyConstraint(
            ["purchase_id"],
            ["outside_purchases.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("outside_photos", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_outside_photos_owner_id"), ["owner_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_outside_photos_phash"), ["phash"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_outside_photos_purchase_id"), ["purchase_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("outside_photos", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outside_photos_purchase_id"))
        batch_op.drop_index(batch_op.f("ix_outside_photos_phash"))
        batch_op.drop_index(batch_op.f("ix_outside_photos_owner_id"))

    op.drop_table("outside_photos")
    with op.batch_alter_table("outside_purchases", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outside_purchases_user_id"))
        batch_op.drop_index("ix_outside_purchases_status_created")
        batch_op.drop_index(batch_op.f("ix_outside_purchases_shop_key"))
        batch_op.drop_index(batch_op.f("ix_outside_purchases_purchase_date"))
        batch_op.drop_index(batch_op.f("ix_outside_purchases_opd"))
        batch_op.drop_index(batch_op.f("ix_outside_purchases_nip"))

    op.drop_table("outside_purchases")
    with op.batch_alter_table("exemption_requests", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_exemption_requests_user_id"))
        batch_op.drop_index(batch_op.f("ix_exemption_requests_status"))
        batch_op.drop_index(batch_op.f("ix_exemption_requests_opd"))
        batch_op.drop_index(batch_op.f("ix_exemption_requests_nip"))

    op.drop_table("exemption_requests")
    with op.batch_alter_table("outages", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outages_month"))

    op.drop_table("outages")
