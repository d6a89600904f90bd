"""Ledger tables, with the lookup tables seeded from taxonomy.md.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "alertstate",
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("since", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("consecutive", sa.Integer(), nullable=False),
        sa.Column("last_notified_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("message_ts", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column("silenced_until", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    op.create_table(
        "channel",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("channel_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("cohort", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("watched", sa.Boolean(), nullable=False),
        sa.Column("high_water_ts", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("team_id", "channel_id"),
    )
    op.create_table(
        "digestrun",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("period", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("channel_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("claimed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("claimed_by", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("posted_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("message_ts", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("period", "channel_id"),
    )
    op.create_table(
        "domain",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("label", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "meta",
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("value", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    op.create_table(
        "signature",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("domain_id", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("title", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("hint", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.ForeignKeyConstraint(
            ["domain_id"],
            ["domain.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("signature", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_signature_domain_id"), ["domain_id"], unique=False)

    op.create_table(
        "message",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("channel_pk", sa.Integer(), nullable=False),
        sa.Column("ts", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("thread_ts", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column("posted_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("user_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("text", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("subtype", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column("source", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("edited_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("resolution_reaction", sa.Boolean(), nullable=False),
        sa.Column("resolution_reaction_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("is_incident", sa.Boolean(), nullable=False),
        sa.Column("resolves", sa.Boolean(), nullable=False),
        sa.Column("domain_id", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("signature_id", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("confidence", sa.Float(), nullable=False),
        sa.Column("attributes", sa.JSON(), nullable=False),
        sa.Column("classifier_version", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["channel_pk"], ["channel.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(
            ["domain_id"],
            ["domain.id"],
        ),
        sa.ForeignKeyConstraint(
            ["signature_id"],
            ["signature.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("channel_pk", "ts", name="uq_message_team_channel_ts"),
    )
    with op.batch_alter_table("message", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_message_posted_at"), ["posted_at"], unique=False)
        batch_op.create_index("ix_message_thread", ["channel_pk", "thread_ts"], unique=False)
        batch_op.create_index(batch_op.f("ix_message_user_hash"), ["user_hash"], unique=False)

    op.create_table(
        "incident",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("channel_pk", sa.Integer(), nullable=False),
        sa.Column("root_ts", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("root_message_id", sa.Integer(), nullable=False),
        sa.Column("asker_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("opened_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("resolved_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("resolved_by", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
        sa.Column("downtime_seconds", sa.Integer(), nullable=True),
        sa.Column("domain_id", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("signature_id", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("confidence", sa.Float(), nullable=False),
        sa.Column("classifier_version", sa.String(length=64), nullable=False),
        sa.Column("human_tagged", sa.Boolean(), nullable=False),
        sa.Column("needs_triage", sa.Boolean(), nullable=False),
        sa.Column("attributes", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["channel_pk"], ["channel.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(
            ["domain_id"],
            ["domain.id"],
        ),
        sa.ForeignKeyConstraint(["root_message_id"], ["message.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(
            ["signature_id"],
            ["signature.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("channel_pk", "root_ts"),
        sa.UniqueConstraint("root_message_id"),
    )
    with op.batch_alter_table("incident", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_incident_signature_id"), ["signature_id"], unique=False
        )
        batch_op.create_index("ix_incident_window", ["opened_at", "domain_id"], unique=False)

    op.create_table(
        "tagevent",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=True),
        sa.Column("actor_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("action", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("old_domain_id", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("old_signature_id", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("new_domain_id", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("new_signature_id", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("note", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["incident_id"], ["incident.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("tagevent", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_tagevent_at"), ["at"], unique=False)
        batch_op.create_index(batch_op.f("ix_tagevent_incident_id"), ["incident_id"], unique=False)

    seed()


def downgrade() -> None:
    with op.batch_alter_table("tagevent", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tagevent_incident_id"))
        batch_op.drop_index(batch_op.f("ix_tagevent_at"))

    op.drop_table("tagevent")
    with op.batch_alter_table("incident", schema=None) as batch_op:
        batch_op.drop_index("ix_incident_window")
        batch_op.drop_index(batch_op.f("ix_incident_signature_id"))

    op.drop_table("incident")
    with op.batch_alter_table("message", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_message_user_hash"))
        batch_op.drop_index("ix_message_thread")
        batch_op.drop_index(batch_op.f("ix_message_posted_at"))

    op.drop_table("message")
    with op.batch_alter_table("signature", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_signature_domain_id"))

    op.drop_table("signature")
    op.drop_table("meta")
    op.drop_table("domain")
    op.drop_table("digestrun")
    op.drop_table("channel")
    op.drop_table("alertstate")


DOMAINS = [
    ("iam", "Identity & Access (IAM)"),
    ("s3", "Storage Services (S3)"),
    ("lambda", "Lambda / Boto3"),
    ("ec2", "EC2 Compute"),
    ("cloudwatch", "CloudWatch / Logs"),
    ("dynamodb", "DynamoDB"),
    ("apigateway", "API Gateway"),
    ("cloudformation", "CloudFormation / IaC"),
    ("vpc", "Networking (VPC)"),
    ("other", "Other"),
]

# Every taxonomy signature, plus `<domain>.other` for each domain (taxonomy.md).
SIGNATURES = [
    ("iam.passrole", "caller may not pass a role to a service"),
    ("iam.trust_policy", "a role's trust policy / Principal is wrong, so it cannot be assumed"),
    (
        "iam.missing_permission",
        "the identity lacks an action (any action but PassRole / AssumeRole)",
    ),
    ("iam.malformed_policy", "a policy document does not parse or validate"),
    ("iam.credentials", "no, wrong or expired credentials"),
    ("s3.access_denied", "S3 refuses for a resource-side reason"),
    ("s3.no_such_bucket", "the bucket does not exist (or typo)"),
    ("s3.no_such_key", "the object does not exist"),
    ("s3.bucket_name", "the bucket name is taken or invalid"),
    ("s3.wrong_region", "the request went to the wrong region"),
    ("lambda.timeout", "the function ran past its timeout"),
    ("lambda.import_error", "the deployment package or layer lacks a module"),
    ("lambda.handler_not_found", "the handler setting names nothing"),
    ("lambda.out_of_memory", "the runtime was killed or ran out of memory"),
    ("lambda.code_error", "the learner's own function code raised"),
    ("lambda.sdk_config", "the SDK client is configured wrongly"),
    ("ec2.ssh_access", "cannot reach or log in to an instance"),
    ("ec2.capacity_limit", "no capacity or over a quota"),
    ("ec2.invalid_resource", "a launch names something that does not exist or does not fit"),
    ("cloudwatch.log_group_missing", "the log group or stream does not exist"),
    ("cloudwatch.no_logs", "logs do not appear at all"),
    ("cloudwatch.alarm_or_metric", "an alarm, metric or canary misbehaves"),
    ("dynamodb.resource_not_found", "the table or index does not exist"),
    ("dynamodb.validation", "a key or expression does not match the schema"),
    ("apigateway.bad_gateway", "the integration returns something API Gateway cannot use"),
    ("apigateway.cors", "the browser blocks the call"),
    ("cloudformation.stack_failed", "a stack create/update fails or is stuck"),
    ("vpc.connectivity", "traffic cannot leave or reach a subnet"),
]


def seed() -> None:
    domain = sa.table("domain", sa.column("id"), sa.column("label"))
    signature = sa.table("signature", sa.column("id"), sa.column("domain_id"), sa.column("title"))
    op.bulk_insert(domain, [{"id": i, "label": label} for i, label in DOMAINS])
    known = list(SIGNATURES)
    known += [(f"{d}.other", f"{label}: other failure") for d, label in DOMAINS]
    op.bulk_insert(
        signature,
        [{"id": i, "domain_id": i.split(".")[0], "title": title} for i, title in known],
    )
