"""`friction backfill`: one channel's history through the Web API, into the ledger, resumable.

Pages of `conversations.history` (and each thread's `conversations.replies`) go through the one
ingest path. After every page the cursor is checkpointed in the ledger (`meta`,
`backfill:<channel pk>`), so a run cut short (Ctrl-C, a crash, a Slack error) resumes at that
page when started again. Calls are paced for the app's rate tier, and a 429 is retried after
its Retry-After by the client (`bot.slack.app.web_client`). Reading the window to its end moves
the channel's high-water mark, so the next backfill, or the live bot's catch-up, starts there.
A window that starts after a thread does not list the thread's new replies; those of recent
unresolved incidents are read at the window's end, before the mark moves.
"""

from __future__ import annotations

import json
import re
import threading
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from slack_sdk import WebClient
from sqlmodel import Session

from bot.context import Context
from bot.history.progress import progress_bar
from bot.ingest.capture import CapturedMessage, capture, skip_reason
from bot.slack.conversations import Pace, Tier, history_pages, open_thread_replies, thread_replies
from storage.ledger import channel_row, meta_value, set_meta
from storage.models import Channel, Meta

CHANNEL_ID = re.compile(r"[CG][A-Z0-9]{6,}")


@dataclass
class Checkpoint:
    """A run's window and how far it got; stored after every page."""

    oldest: str | None  # exclusive lower bound (None: the channel's whole history)
    latest: str  # the run's start: pages read newest first from here
    cursor: str | None = None
    pages: int = 0
    messages: int = 0


@dataclass
class BackfillResult:
    channel_id: str
    name: str | None
    resumed: bool
    finished: bool = False
    pages: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)
    skipped: Counter[str] = field(default_factory=Counter)
    high_water_ts: str | None = None


def backfill(
    context: Context,
    client: WebClient,
    channel_id: str,
    tier: Tier,
    since: datetime | None = None,
    stop: threading.Event | None = None,
) -> BackfillResult:
    """Read `channel_id` from `since` (default: its high-water mark, else all of it) to now."""
    if not CHANNEL_ID.fullmatch(channel_id):
        raise ValueError(
            f"{channel_id!r} is not a channel id: pass one like C0123HELP "
            "(Slack shows it at the bottom of the channel's details)"
        )
    team_id = client.auth_test()["team_id"]
    name = client.conversations_info(channel=channel_id)["channel"].get("name")
    cohort = context.settings.file.channels.cohort(channel_id, name)
    with Session(context.engine) as session:
        row = channel_row(session, team_id, channel_id, name, cohort)
        session.commit()
        key = f"backfill:{row.id}"
        saved = meta_value(session, key)
    oldest = _ts(since) if since else row.high_water_ts
    checkpoint = Checkpoint(**json.loads(saved)) if saved else None
    resumed = checkpoint is not None and (since is None or checkpoint.oldest == oldest)
    if not resumed:
        checkpoint = Checkpoint(oldest, _ts(datetime.now(UTC)))
    result = BackfillResult(channel_id, name, resumed, pages=checkpoint.pages)
    emoji = frozenset(context.settings.file.resolution.emoji)
    replies = Pace(tier, stop)
    pages = history_pages(
        client,
        channel_id,
        Pace(tier, stop),
        oldest=checkpoint.oldest,
        latest=checkpoint.latest,
        cursor=checkpoint.cursor,
        limit=tier.page_size,
    )
    with progress_bar(f"Backfilling #{name or channel_id}", total=None) as advance:
        for page in pages:
            raw = []
            for message in page.messages:
                raw.append(message)
                if message.get("reply_count"):
                    raw += thread_replies(
                        client, channel_id, message["ts"], replies, limit=tier.page_size
                    )
            captured = _captured(raw, team_id, channel_id, name, emoji, result.skipped)
            result.outcomes += context.ingestor.add_many(captured)
            checkpoint.cursor = page.next_cursor
            checkpoint.pages += 1
            checkpoint.messages += len(captured)
            result.pages = checkpoint.pages
            result.finished = page.next_cursor is None
            if not result.finished:  # the end is saved once older threads are read too
                _save(context, key, row.id, checkpoint, done=False)
            advance(len(raw))
        if result.finished:
            older = open_thread_replies(
                context.engine, client, row.id, channel_id, checkpoint.oldest, replies
            )
            raw = list(older)
            captured = _captured(raw, team_id, channel_id, name, emoji, result.skipped)
            result.outcomes += context.ingestor.add_many(captured)
            _save(context, key, row.id, checkpoint, done=True)
            advance(len(raw))
    with Session(context.engine) as session:
        result.high_water_ts = session.get(Channel, row.id).high_water_ts
    return result


def _captured(
    raw: list[dict[str, Any]],
    team_id: str,
    channel_id: str,
    name: str | None,
    emoji: frozenset[str],
    skipped: Counter[str],
) -> list[CapturedMessage]:
    captured = []
    for message in raw:
        reason = skip_reason(message)
        if reason:
            skipped[reason] += 1
            continue
        captured.append(
            capture(
                message,
                team_id=team_id,
                channel_id=channel_id,
                source="history",
                resolution_emoji=emoji,
                channel_name=name,
            )
        )
    return captured


def _save(context: Context, key: str, channel_pk: int, checkpoint: Checkpoint, done: bool) -> None:
    """Checkpoint a page; at the window's end drop the checkpoint and move the high-water mark.

    The mark moves only when the window joins what the ledger already holds (it started at or
    before the old mark), so it never claims a gap that was not read.
    """
    with Session(context.engine) as session:
        if not done:
            set_meta(session, key, json.dumps(asdict(checkpoint)))
        else:
            channel = session.get(Channel, channel_pk)
            mark = channel.high_water_ts
            joins = (
                mark is None or checkpoint.oldest is None or float(checkpoint.oldest) <= float(mark)
            )
            if joins and (mark is None or float(checkpoint.latest) > float(mark)):
                channel.high_water_ts = checkpoint.latest
            saved = session.get(Meta, key)
            if saved is not None:
                session.delete(saved)
        session.commit()


def _ts(moment: datetime) -> str:
    return f"{moment.timestamp():.6f}"
