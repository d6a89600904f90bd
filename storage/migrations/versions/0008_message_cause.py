"""The cause a message gives for its thread's trouble ("turned out my lambda was in a VPC").

Revision ID: 0008
Revises: 0007

A later message by the asker that names a root-cause layer moves the thread's incident there
(docs/classifier.md). Existing messages get the column empty; `friction reclassify` fills it.
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("message", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("cause_signature_id", sqlmodel.sql.sqltypes.AutoString(), nullable=True)
        )
        batch_op.create_foreign_key(
            "fk_message_cause_signature_id", "signature", ["cause_signature_id"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("message", schema=None) as batch_op:
        batch_op.drop_constraint("fk_message_cause_signature_id", type_="foreignkey")
        batch_op.drop_column("cause_signature_id")
