"""What a Slack event does to the ledger: the live half of the one ingest path.

A live event (from Socket Mode, HTTP, or the spool replaying it) becomes one `Action`: a
message to capture, a message to delete, a reaction, or a reason to skip it. `LiveEvents.apply`
then hands the actions to the `Ingestor`, consecutive captures as one batch. Channel names come
from `conversations.info`, cached, because watch patterns (`help-*`) and cohorts name channels.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import groupby
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy.exc import DisconnectionError, InterfaceError, OperationalError

from bot.context import Context
from bot.ingest.capture import CapturedMessage, capture, skip_reason
from bot.ingest.ingestor import ts_time
from bot.logs import log_event
from storage.erasure import checkpoint

log = logging.getLogger(__name__)

# Slack events the ledger listens to; everything else is for other listeners or ignored.
CAPTURED_EVENTS = ("message", "reaction_added", "reaction_removed")


class SlackUnreachable(Exception):
    """The Slack Web API could not be asked (network, 5xx): try again later, do not drop."""


def is_transient(exc: BaseException) -> bool:
    """An error that passes: the database or Slack is unavailable, not a bad event."""
    return isinstance(
        exc, OperationalError | InterfaceError | DisconnectionError | SlackUnreachable
    )


@dataclass(frozen=True, slots=True)
class Skip:
    reason: str


@dataclass(frozen=True, slots=True)
class Delete:
    team_id: str
    channel_id: str
    ts: str


@dataclass(frozen=True, slots=True)
class React:
    team_id: str
    channel_id: str
    ts: str
    emoji: str
    added: bool
    at: datetime


Action = CapturedMessage | Delete | React | Skip


class ChannelNames:
    """Channel id -> name, asked of Slack once per channel (`conversations.info`)."""

    def __init__(self, client: WebClient) -> None:
        self.client = client
        self._names: dict[str, str | None] = {}

    def __call__(self, channel_id: str) -> str | None:
        if channel_id not in self._names:
            self._names[channel_id] = self._lookup(channel_id)
        return self._names[channel_id]

    def remember(self, channel_id: str, name: str | None) -> None:
        """A name learnt elsewhere (conversations.list), saving a call."""
        self._names[channel_id] = name

    def _lookup(self, channel_id: str) -> str | None:
        try:
            return self.client.conversations_info(channel=channel_id)["channel"].get("name")
        except SlackApiError as exc:
            if exc.response.status_code >= 500 or exc.response.status_code == 429:
                raise SlackUnreachable(
                    f"conversations.info: HTTP {exc.response.status_code}"
                ) from exc
            log_event(
                log,
                "channel.name_unknown",
                logging.WARNING,
                channel=channel_id,
                error=exc.response.get("error"),
            )
            return None
        except OSError as exc:
            raise SlackUnreachable(f"conversations.info: {exc}") from exc


class LiveEvents:
    """Turns Slack event bodies into ledger writes, for the watched channels only."""

    def __init__(self, context: Context, names: ChannelNames | None) -> None:
        self.context = context
        self.names = names
        self.channels = context.settings.file.channels
        self.resolution_emoji = frozenset(context.settings.file.resolution.emoji)

    def action(self, body: dict[str, Any]) -> Action:
        """What one Events API body (or Socket Mode payload) asks of the ledger."""
        ev = body.get("event") or {}
        team_id = body.get("team_id") or ev.get("team") or ""
        kind = ev.get("type")
        if kind in ("reaction_added", "reaction_removed"):
            item = ev.get("item") or {}
            if item.get("type") != "message":
                return Skip(f"reaction on a {item.get('type')}")
            if not self._watched(item.get("channel") or ""):
                return Skip("channel not watched")
            return React(
                team_id,
                item["channel"],
                item["ts"],
                ev.get("reaction", ""),
                kind == "reaction_added",
                ts_time(ev.get("event_ts") or item["ts"]),
            )
        if kind != "message":
            return Skip(f"event {kind}")
        channel_id = ev.get("channel") or ""
        name = self._name(channel_id)
        if not self.channels.watches(channel_id, name):
            return Skip("channel not watched")
        subtype = ev.get("subtype")
        if subtype == "message_deleted":
            return Delete(team_id, channel_id, ev["deleted_ts"])
        message = ev
        if subtype == "message_changed":
            message = ev.get("message") or {}
            if message.get("subtype") == "tombstone":  # a thread root deleted under its replies
                return Delete(team_id, channel_id, message["ts"])
        reason = skip_reason(message)
        if reason:
            return Skip(reason)
        return capture(
            message,
            team_id=team_id,
            channel_id=channel_id,
            source=body.get("source", "event"),
            resolution_emoji=self.resolution_emoji,
            channel_name=name,
        )

    def apply(self, bodies: Sequence[dict[str, Any]]) -> Counter[str]:
        """Apply events in order: consecutive captures in one batch; returns counts per outcome."""
        return self.apply_actions([self.action(b) for b in bodies])

    def apply_actions(self, actions: Iterable[Action]) -> Counter[str]:
        counts: Counter[str] = Counter()
        ingestor = self.context.ingestor
        for is_capture, run in groupby(actions, key=lambda a: isinstance(a, CapturedMessage)):
            if is_capture:
                counts += ingestor.add_many(list(run))
                continue
            for act in run:
                if isinstance(act, Skip):
                    counts["skipped"] += 1
                elif isinstance(act, Delete):
                    counts[ingestor.delete(act.team_id, act.channel_id, act.ts).action] += 1
                else:
                    outcome = ingestor.react(
                        act.team_id,
                        act.channel_id,
                        act.ts,
                        act.emoji,
                        act.added,
                        act.at,
                        self.resolution_emoji,
                    )
                    counts[outcome.action] += 1
        if counts["deleted"]:
            checkpoint(self.context.engine)  # deleted messages' text leaves the disk, once a batch
        return counts

    def _watched(self, channel_id: str) -> bool:
        return self.channels.watches(channel_id, self._name(channel_id))

    def _name(self, channel_id: str) -> str | None:
        return self.names(channel_id) if self.names and channel_id else None
