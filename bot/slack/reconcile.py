"""Catch-up: read what was posted while the bot was not listening, through the same ingest path.

At start and on a schedule, each watched channel's history is read from its high-water mark
(`Channel.high_water_ts`: everything before it is known to be in the ledger) up to the moment
the pass began. Messages, and thread replies of threads that moved, go into the spool like live
events, so the one writer applies them in order and a message seen twice is stored once.

Slack may allow as little as one history call a minute, so a pass is checkpointed after every
page (the cursor, in the ledger's `meta` table): a pass cut short by a shutdown resumes where it
stopped, and the log says how far it got and how long the rest should take at the app's tier.
The high-water mark moves only when a channel's window has been read to its end.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from slack_sdk import WebClient
from sqlmodel import Session, select

from bot.context import Context
from bot.ingest.ingestor import ts_time
from bot.logs import log_event
from bot.slack.conversations import Pace, Tier, history_pages, open_thread_replies, thread_replies
from bot.slack.events import ChannelNames
from bot.slack.spool import Spool
from storage.ledger import channel_row, find_channel, meta_value, set_meta
from storage.models import Message, Meta

log = logging.getLogger(__name__)

FIRST_LOOKBACK = timedelta(days=1)  # a channel never reconciled: full history is `backfill`'s


@dataclass
class Progress:
    """One channel's pass: the window, the checkpoint and what it has read so far."""

    channel_id: str
    oldest: str | None
    latest: str
    cursor: str | None = None
    pages: int = 0
    calls: int = 0
    messages: int = 0
    reached: str | None = None  # the oldest ts read so far (pages go newest first)
    started: float = field(default_factory=time.time)
    finished: bool = False

    def eta_seconds(self, tier: Tier) -> float | None:
        """Time the rest of the window should take, from how dense the part read so far was."""
        if self.finished:
            return 0.0
        if self.reached is None or self.oldest is None:
            return None
        done = float(self.latest) - float(self.reached)
        left = float(self.reached) - float(self.oldest)
        if done <= 0:
            return None
        return tier.seconds_for(self.calls * left / done)


def _key(team_id: str, channel_id: str) -> str:
    return f"reconcile:{team_id}:{channel_id}"


def _ts(moment: datetime) -> str:
    return f"{moment.timestamp():.6f}"


class Reconciler:
    """Runs catch-up passes over the watched channels."""

    def __init__(
        self,
        context: Context,
        client: WebClient,
        spool: Spool,
        names: ChannelNames,
        tier: Tier,
    ) -> None:
        self.context = context
        self.client = client
        self.spool = spool
        self.names = names
        self.tier = tier
        self.stop = threading.Event()
        self._team_id: str | None = None
        self._lock = threading.Lock()

    @property
    def team_id(self) -> str:
        if self._team_id is None:
            self._team_id = self.client.auth_test()["team_id"]
        return self._team_id

    def run(self) -> list[Progress]:
        """One pass over every watched channel the bot is in (one pass at a time)."""
        if not self._lock.acquire(blocking=False):
            return []
        try:
            done = []
            for channel_id, name in self.watched_channels():
                if self.stop.is_set():
                    break
                done.append(self.channel(channel_id, name))
            return done
        finally:
            self._lock.release()

    def watched_channels(self) -> list[tuple[str, str | None]]:
        """Channels the bot is a member of that the configuration watches (conversations.list)."""
        watch = self.context.settings.file.channels
        found = []
        cursor = None
        while True:
            answer = self.client.conversations_list(
                types="public_channel,private_channel",
                exclude_archived=True,
                limit=200,
                cursor=cursor,
            )
            for channel in answer["channels"]:
                self.names.remember(channel["id"], channel.get("name"))
                if channel.get("is_member") and watch.watches(channel["id"], channel.get("name")):
                    found.append((channel["id"], channel.get("name")))
            cursor = (answer.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                return found

    def channel(self, channel_id: str, name: str | None) -> Progress:
        """Read one channel from its checkpoint or high-water mark; returns how far it got."""
        progress = self._resume(channel_id, name)
        history = Pace(self.tier, self.stop)
        replies = Pace(self.tier, self.stop)
        pages = history_pages(
            self.client,
            channel_id,
            history,
            oldest=progress.oldest,
            latest=progress.latest,
            cursor=progress.cursor,
            limit=self.tier.page_size,
        )
        for page in pages:
            bodies = []
            for message in page.messages:
                bodies.append(self._body(channel_id, message))
                if message.get("reply_count") and self._moved(message, progress.oldest):
                    bodies += [
                        self._body(channel_id, reply)
                        for reply in thread_replies(
                            self.client,
                            channel_id,
                            message["ts"],
                            replies,
                            oldest=progress.oldest,
                        )
                    ]
            self.spool.put_many(bodies, [None] * len(bodies))
            stamps = [m["ts"] for m in page.messages] + [progress.reached or progress.latest]
            progress.reached = min(stamps, key=float)
            progress.cursor = page.next_cursor
            progress.pages += 1
            progress.messages += len(bodies)
            progress.calls = progress.pages + replies.calls
            progress.finished = page.next_cursor is None
            self._save(progress)
            self._report(progress, name)
        if progress.finished:
            self._open_threads(channel_id, progress, replies)
            self._finish(progress, name)
        return progress

    def _moved(self, root: dict[str, Any], oldest: str | None) -> bool:
        latest_reply = root.get("latest_reply")
        return oldest is None or latest_reply is None or float(latest_reply) > float(oldest)

    def _open_threads(self, channel_id: str, progress: Progress, pace: Pace) -> None:
        """Replies in threads older than the window: only history's roots show new replies."""
        if progress.oldest is None:
            return
        with Session(self.context.engine) as session:
            channel = find_channel(session, self.team_id, channel_id)
        if channel is None:
            return
        replies = open_thread_replies(
            self.context.engine, self.client, channel.id, channel_id, progress.oldest, pace
        )
        bodies = [self._body(channel_id, reply) for reply in replies]
        if bodies:
            self.spool.put_many(bodies, [None] * len(bodies))
            progress.messages += len(bodies)

    def _body(self, channel_id: str, message: dict[str, Any]) -> dict[str, Any]:
        """A history message in the shape of a live event, so the writer treats both alike."""
        return {
            "team_id": self.team_id,
            "source": "history",
            "event": {**message, "type": "message", "channel": channel_id},
        }

    def _resume(self, channel_id: str, name: str | None) -> Progress:
        with Session(self.context.engine) as session:
            saved = meta_value(session, _key(self.team_id, channel_id))
            if saved:
                return Progress(**json.loads(saved))
            channel = find_channel(session, self.team_id, channel_id)
            oldest = channel.high_water_ts if channel else None
            if oldest is None:
                newest = (
                    channel
                    and session.exec(
                        select(Message.ts)
                        .where(Message.channel_pk == channel.id)
                        .order_by(Message.posted_at.desc())  # type: ignore[union-attr]
                    ).first()
                )
                oldest = newest or _ts(datetime.now(UTC) - FIRST_LOOKBACK)
        return Progress(channel_id, oldest, _ts(datetime.now(UTC)))

    def _save(self, progress: Progress) -> None:
        with Session(self.context.engine) as session:
            set_meta(session, _key(self.team_id, progress.channel_id), json.dumps(asdict(progress)))
            session.commit()

    def _finish(self, progress: Progress, name: str | None) -> None:
        """The window is read: move the high-water mark and drop the checkpoint, together."""
        cohort = self.context.settings.file.channels.cohort(progress.channel_id, name)
        with Session(self.context.engine) as session:
            channel = channel_row(session, self.team_id, progress.channel_id, name, cohort)
            channel.high_water_ts = progress.latest
            session.add(channel)
            saved = session.get(Meta, _key(self.team_id, progress.channel_id))
            if saved is not None:
                session.delete(saved)
            session.commit()

    def _report(self, progress: Progress, name: str | None) -> None:
        eta = progress.eta_seconds(self.tier)
        reached = (
            ts_time(progress.reached).isoformat(timespec="seconds") if progress.reached else None
        )
        status = {
            **asdict(progress),
            "name": name,
            "tier": self.tier.name,
            "eta_seconds": eta,
        }
        self.spool.set_status(f"reconcile:{progress.channel_id}", status)
        log_event(
            log,
            "reconcile.page",
            channel=progress.channel_id,
            pages=progress.pages,
            messages=progress.messages,
            reached=reached,
            finished=progress.finished,
            eta=None if eta is None else f"{eta:.0f}s",
            tier=self.tier.name,
        )
