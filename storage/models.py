"""The ledger's tables.

Lookup tables (`domain`, `signature`) keep categories standard, as the original analysis did with
foreign keys; facts (`channel`, `message`, `incident`, `tag_event`) reference them. Times are
timezone-aware UTC (SQLModel stores them as UTC on both SQLite and PostgreSQL).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, ForeignKey, Index, String, UniqueConstraint, text
from sqlmodel import Field, SQLModel

UNANSWERED = "first_reply_at IS NULL AND resolved_at IS NULL"  # no human reply, not resolved


class Meta(SQLModel, table=True):
    """Key/value facts about the ledger itself, such as the pseudonymisation salt on SQLite."""

    key: str = Field(primary_key=True, max_length=64)
    value: str


class Domain(SQLModel, table=True):
    """A root-cause layer (taxonomy.md): `iam`, `s3`, ..."""

    id: str = Field(primary_key=True, max_length=32)
    label: str


class Signature(SQLModel, table=True):
    """A normalised failure mode (taxonomy.md): `iam.passrole`, ..."""

    id: str = Field(primary_key=True, max_length=64)
    domain_id: str = Field(foreign_key="domain.id", index=True)
    title: str
    hint: str | None = None


class Channel(SQLModel, table=True):
    """A Slack channel the ledger has seen, with how far history has been read."""

    __table_args__ = (UniqueConstraint("team_id", "channel_id"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32)
    channel_id: str = Field(max_length=32)
    name: str | None = None
    cohort: str | None = None
    watched: bool = True
    high_water_ts: str | None = Field(default=None, max_length=32)


class Message(SQLModel, table=True):
    """One Slack message, redacted, with its author pseudonymised and its own classification.

    The per-message classification lets a thread's incident be recomputed from stored rows,
    without classifying the whole thread again on every reply.
    """

    # (channel_pk, ts) is (team, channel, ts): a channel row is unique per (team, channel).
    __table_args__ = (
        UniqueConstraint("channel_pk", "ts", name="uq_message_team_channel_ts"),
        Index("ix_message_thread", "channel_pk", "thread_ts"),
    )

    id: int | None = Field(default=None, primary_key=True)
    channel_pk: int = Field(
        sa_column=Column(ForeignKey("channel.id", ondelete="CASCADE"), nullable=False)
    )
    ts: str = Field(max_length=32)
    thread_ts: str | None = Field(default=None, max_length=32)
    posted_at: datetime = Field(index=True)
    user_hash: str | None = Field(default=None, max_length=64, index=True)
    text: str | None = None
    subtype: str | None = Field(default=None, max_length=32)
    source: str = Field(max_length=16)
    edited_at: datetime | None = None
    # A resolution emoji on this message; its moment is None when only history showed it.
    resolution_reaction: bool = False
    resolution_reaction_at: datetime | None = None
    is_incident: bool = False
    resolves: bool = False
    domain_id: str | None = Field(default=None, foreign_key="domain.id")
    signature_id: str | None = Field(default=None, foreign_key="signature.id")
    confidence: float = 0.0
    attributes: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    classifier_version: str = Field(default="", sa_type=String(64))
    # The root-cause layer this message says the thread's trouble came from ("turned out my
    # lambda was in a VPC"); the asker's says where the thread's incident belongs.
    cause_signature_id: str | None = Field(default=None, foreign_key="signature.id")


class Incident(SQLModel, table=True):
    """A blocker: one per thread root. Open from its first message until resolved."""

    __table_args__ = (
        UniqueConstraint("channel_pk", "root_ts"),
        Index("ix_incident_window", "opened_at", "domain_id"),
        # Covers every column the digest and spike queries read, so a week's range is read
        # from the index alone, in time order, not row by row from the table.
        Index(
            "ix_incident_digest",
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
        ),
        # Covers the waiting figures (storage/response_queries.py) the same way.
        Index(
            "ix_incident_response",
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
        ),
        # The threads still waiting for a human (the TAs' queue): only those rows, so reading
        # the queue costs what the queue holds, not what two weeks of incidents hold.
        Index(
            "ix_incident_unanswered",
            "opened_at",
            sqlite_where=text(UNANSWERED),
            postgresql_where=text(UNANSWERED),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    channel_pk: int = Field(
        sa_column=Column(ForeignKey("channel.id", ondelete="CASCADE"), nullable=False)
    )
    root_ts: str = Field(max_length=32)
    root_message_id: int = Field(
        sa_column=Column(ForeignKey("message.id", ondelete="CASCADE"), nullable=False, unique=True)
    )
    asker_hash: str | None = Field(default=None, max_length=64)
    opened_at: datetime
    resolved_at: datetime | None = None
    resolved_by: str | None = Field(default=None, max_length=16)
    downtime_seconds: int | None = None
    domain_id: str = Field(foreign_key="domain.id")
    signature_id: str = Field(foreign_key="signature.id", index=True)
    confidence: float
    classifier_version: str = Field(sa_type=String(64))
    human_tagged: bool = False
    needs_triage: bool = False
    # A TA said this is not friction: the row stays (so re-ingesting cannot bring it back)
    # but no figure counts it.
    dismissed: bool = False
    # Someone asked for a TA (the hint's "Not it"): it awaits triage whatever the classifier's
    # confidence, until a TA tags it; re-deriving the thread keeps it.
    triage_requested: bool = False
    # The first human reply by someone other than the asker (bots' posts are never stored):
    # when, how long after the root, and whether a TA ("ta") or a fellow learner ("learner")
    # wrote it; the first TA reply's delay separately. Derived from the thread's rows.
    first_reply_at: datetime | None = None
    first_reply_seconds: int | None = None
    first_reply_by: str | None = Field(default=None, max_length=16)
    ta_reply_seconds: int | None = None
    attributes: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class TagEvent(SQLModel, table=True):
    """An audited human change to an incident: who (as a hash), what it was, what it became."""

    id: int | None = Field(default=None, primary_key=True)
    incident_id: int | None = Field(
        default=None, sa_column=Column(ForeignKey("incident.id", ondelete="SET NULL"), index=True)
    )
    actor_hash: str | None = Field(default=None, max_length=64)
    action: str = Field(max_length=16)
    old_domain_id: str | None = None
    old_signature_id: str | None = None
    new_domain_id: str | None = None
    new_signature_id: str | None = None
    note: str | None = None
    at: datetime = Field(index=True)


class DigestRun(SQLModel, table=True):
    """A claimed digest (period, channel), so it is posted once across restarts and replicas."""

    __table_args__ = (UniqueConstraint("period", "channel_id"),)

    id: int | None = Field(default=None, primary_key=True)
    period: str = Field(max_length=16)
    channel_id: str = Field(max_length=32)
    claimed_at: datetime
    claimed_by: str = Field(max_length=64)
    posted_at: datetime | None = None
    message_ts: str | None = Field(default=None, max_length=32)
    attempts: int = 0
    last_error: str | None = None


class AlertState(SQLModel, table=True):
    """The state of one alert key (rule, domain, cohort), persisted so it survives restarts."""

    key: str = Field(primary_key=True, max_length=128)
    status: str = Field(max_length=16)
    since: datetime
    consecutive: int = 0
    last_notified_at: datetime | None = None
    message_ts: str | None = Field(default=None, max_length=32)
    silenced_until: datetime | None = None
    details: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class Hint(SQLModel, table=True):
    """The one remediation hint the bot replied in an incident's thread, and what came of it.

    The row is claimed (inserted) before the reply is posted: the unique incident makes a second
    claim fail, so retried events and replicas cannot post a second hint in the same thread.
    """

    id: int | None = Field(default=None, primary_key=True)
    incident_id: int = Field(
        sa_column=Column(ForeignKey("incident.id", ondelete="CASCADE"), nullable=False, unique=True)
    )
    signature_id: str = Field(foreign_key="signature.id", index=True)
    claimed_at: datetime = Field(index=True)
    message_ts: str | None = Field(default=None, max_length=32)
    # "fixed" | "not_it" | None (no answer yet), with when and who (a salted hash) answered.
    outcome: str | None = Field(default=None, max_length=16)
    outcome_at: datetime | None = None
    outcome_by_hash: str | None = Field(default=None, max_length=64)


class HintSwitch(SQLModel, table=True):
    """A TA turned a signature's hint off (or back on): who (a salted hash) and when."""

    signature_id: str = Field(primary_key=True, foreign_key="signature.id")
    disabled: bool
    actor_hash: str | None = Field(default=None, max_length=64)
    at: datetime


class Fix(SQLModel, table=True):
    """A change made to stop a failure (a lab step rewritten, a role pre-created), recorded so
    its effect can be measured: incidents of its target before and after `at`."""

    id: int | None = Field(default=None, primary_key=True)
    domain_id: str = Field(foreign_key="domain.id")
    # None: the fix targets the whole domain.
    signature_id: str | None = Field(default=None, foreign_key="signature.id")
    description: str  # redacted before it is written
    at: datetime = Field(index=True)
    cohort: str | None = Field(default=None, max_length=64)  # None: every cohort
    created_by_hash: str | None = Field(default=None, max_length=64)  # None: the command line
    created_at: datetime


class Nudge(SQLModel, table=True):
    """The one message posted to the TAs' channel about an unanswered thread.

    Claimed (inserted) before it is posted, like `Hint`: the unique incident makes a second
    claim fail, so no thread is announced twice; `answered_at` records that the message was
    updated once the thread got its first human reply.
    """

    id: int | None = Field(default=None, primary_key=True)
    incident_id: int = Field(
        sa_column=Column(ForeignKey("incident.id", ondelete="CASCADE"), nullable=False, unique=True)
    )
    channel_id: str = Field(max_length=32)
    claimed_at: datetime
    message_ts: str | None = Field(default=None, max_length=32)
    answered_at: datetime | None = None
