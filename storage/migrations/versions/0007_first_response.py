"""Time to first response on incidents, its covering index, a partial index of the threads still
waiting, and nudges about waiting threads.

Revision ID: 0007
Revises: 0006

Existing incidents get the new columns empty (no reply known); re-deriving their threads
(`friction reclassify`) fills them from the stored replies (docs/response.md).
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

UNANSWERED = "first_reply_at IS NULL AND resolved_at IS NULL"
RESPONSE_INDEX = [
    "opened_at",
    "dismissed",
    "channel_pk",
    "domain_id",
    "first_reply_seconds",
    "first_reply_by",
    "ta_reply_seconds",
    "first_reply_at",
    "resolved_at",
    "downtime_seconds",
]


def upgrade() -> None:
    with op.batch_alter_table("incident", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("first_reply_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True)
        )
        batch_op.add_column(sa.Column("first_reply_seconds", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("first_reply_by", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True)
        )
        batch_op.add_column(sa.Column("ta_reply_seconds", sa.Integer(), nullable=True))
        batch_op.create_index("ix_incident_response", RESPONSE_INDEX, unique=False)
        batch_op.create_index(
            "ix_incident_unanswered",
            ["opened_at"],
            unique=False,
            sqlite_where=sa.text(UNANSWERED),
            postgresql_where=sa.text(UNANSWERED),
        )
    op.create_table(
        "nudge",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("channel_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("claimed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("message_ts", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column("answered_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["incident_id"], ["incident.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("incident_id"),
    )


def downgrade() -> None:
    op.drop_table("nudge")
    with op.batch_alter_table("incident", schema=None) as batch_op:
        batch_op.drop_index("ix_incident_unanswered")
        batch_op.drop_index("ix_incident_response")
        for column in (
            "ta_reply_seconds",
            "first_reply_by",
            "first_reply_seconds",
            "first_reply_at",
        ):
            batch_op.drop_column(column)
