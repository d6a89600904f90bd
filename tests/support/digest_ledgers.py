"""Ledgers with hand-counted figures for the digest and alert tests, written by the ingest path."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine, update
from sqlmodel import Session

from bot.config import Settings
from bot.context import Context, open_context
from bot.ingest.capture import CapturedMessage
from storage.models import Incident

S3_ACCESS_DENIED = (
    "aws s3 cp report.csv s3://lab-bucket-42/ fails with: An error occurred (AccessDenied) "
    "when calling the PutObject operation: Access Denied"
)
COHORTS = {"help-lab4": "lab4", "help-lab5": "lab5"}
CHANNEL_NAMES = {"C1": "help-lab4", "C2": "help-lab5"}


def ledger_context(url: str, tmp_path: Path) -> Context:
    """A ledger whose channels help-lab4 and help-lab5 belong to cohorts lab4 and lab5."""
    config = tmp_path / "friction.toml"
    lines = ["[channels.cohorts]"] + [f'"{name}" = "{c}"' for name, c in COHORTS.items()]
    config.write_text("\n".join(lines) + "\n")
    return open_context(Settings(FRICTION_SALT="s", FRICTION_CONFIG=str(config)), url)


def ts(moment: datetime) -> str:
    return f"{moment.timestamp():.6f}"


class Writer:
    """Adds incidents (a root and, when resolved, the asker's "that worked" reply)."""

    def __init__(self, context: Context) -> None:
        self.context = context
        self.users = iter(range(10_000))

    def incident(
        self, channel: str, at: datetime, text: str, resolved_after: timedelta | None = None
    ) -> str:
        user = f"U{next(self.users)}"
        root = ts(at)
        add = self.context.ingestor.add
        add(CapturedMessage("T1", channel, root, text, user, channel_name=CHANNEL_NAMES[channel]))
        if resolved_after is not None:
            reply = ts(at + resolved_after)
            add(CapturedMessage("T1", channel, reply, "thanks, that worked!", user, root))
        return root

    def chatter(self, channel: str, at: datetime, text: str = "when is lab 3 due?") -> None:
        self.context.ingestor.add(
            CapturedMessage(
                "T1", channel, ts(at), text, "U_chat", channel_name=CHANNEL_NAMES[channel]
            )
        )


def mark_needs_triage(engine: Engine, channel_pk_root_ts: str) -> None:
    """A TA queue entry: the incident with this root awaits triage."""
    with Session(engine) as session:
        session.execute(
            update(Incident).where(Incident.root_ts == channel_pk_root_ts).values(needs_triage=True)
        )
        session.commit()


WEEK47 = datetime(2026, 11, 16, tzinfo=UTC)  # Monday of ISO week 2026-W47
