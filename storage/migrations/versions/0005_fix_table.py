"""Fixes as records: what was changed, for which domain or signature, when, in which cohort.

Revision ID: 0005
Revises: 0004

`friction report --fixes` and the digest compare each fix's target before and after `at`.
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "fix",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("domain_id", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("signature_id", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("description", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("cohort", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("created_by_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["domain_id"], ["domain.id"]),
        sa.ForeignKeyConstraint(["signature_id"], ["signature.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("fix", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_fix_at"), ["at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("fix", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_fix_at"))
    op.drop_table("fix")
