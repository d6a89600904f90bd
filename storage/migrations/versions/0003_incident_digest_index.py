"""A covering index for the digest and spike queries.

Revision ID: 0003
Revises: 0002

Every column those queries read is in the index, so a week of incidents is read from the index
alone (benchmarks/digest.py: 1,000,000 incidents).
"""

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

COLUMNS = [
    "opened_at",
    "dismissed",
    "channel_pk",
    "domain_id",
    "signature_id",
    "downtime_seconds",
    "resolved_at",
    "needs_triage",
    "human_tagged",
    "root_ts",
]


def upgrade() -> None:
    with op.batch_alter_table("incident", schema=None) as batch_op:
        batch_op.create_index("ix_incident_digest", COLUMNS, unique=False)


def downgrade() -> None:
    with op.batch_alter_table("incident", schema=None) as batch_op:
        batch_op.drop_index("ix_incident_digest")
