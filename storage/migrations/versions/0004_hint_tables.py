"""Hints replied in learners' threads, their outcomes, and the TAs' per-signature off switch.

Revision ID: 0004
Revises: 0003

`incident.triage_requested` keeps a "Not it" answer's call for a TA across re-derivations;
existing incidents get False from the server default.
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "hint",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("signature_id", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("claimed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("message_ts", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column("outcome", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
        sa.Column("outcome_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("outcome_by_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.ForeignKeyConstraint(["incident_id"], ["incident.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["signature_id"], ["signature.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("incident_id"),
    )
    with op.batch_alter_table("hint", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_hint_claimed_at"), ["claimed_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_hint_signature_id"), ["signature_id"], unique=False)

    op.create_table(
        "hintswitch",
        sa.Column("signature_id", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("disabled", sa.Boolean(), nullable=False),
        sa.Column("actor_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["signature_id"], ["signature.id"]),
        sa.PrimaryKeyConstraint("signature_id"),
    )
    with op.batch_alter_table("incident", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("triage_requested", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("incident", schema=None) as batch_op:
        batch_op.drop_column("triage_requested")
    op.drop_table("hintswitch")
    with op.batch_alter_table("hint", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_hint_signature_id"))
        batch_op.drop_index(batch_op.f("ix_hint_claimed_at"))

    op.drop_table("hint")
