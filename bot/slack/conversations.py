"""Reading channel history from Slack, page by page, resumable: for reconcile and backfill.

`conversations.history` pages newest first within an [oldest, latest] window and hands back a
cursor; `conversations.replies` pages a thread oldest first. Each page is yielded with the
cursor that continues after it, so a caller can store that cursor as its checkpoint and resume
there after a crash or a shutdown. Calls are paced for the app's rate tier (`Tier`) instead of
running into 429s; a 429 that comes anyway is retried after its Retry-After by the client's
`RateLimitErrorRetryHandler` (see `bot.slack.app.web_client`).
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from slack_sdk import WebClient
from sqlalchemy import Engine
from sqlmodel import Session

from bot.ingest.ingestor import ts_time
from storage.ledger import open_thread_roots

OPEN_THREAD_DAYS = 14
"""Unresolved incidents this young get their threads re-read for replies a window missed."""


@dataclass(frozen=True)
class Tier:
    """How fast Slack lets this app read history: calls per minute and messages per page."""

    name: str
    calls_per_minute: float
    page_size: int

    def seconds_for(self, calls: float) -> float:
        return math.ceil(calls) * 60.0 / self.calls_per_minute


TIERS = {
    # An app installed in its own workspace: Tier 3, about 50 calls a minute.
    "tier3": Tier("tier3", 50, 200),
    # Distributed apps outside the Marketplace (since 2025): one call a minute, 15 per page.
    "limited": Tier("limited", 1, 15),
}


class Pace:
    """Spaces calls at least `60 / calls_per_minute` seconds apart; `stop` cuts a wait short."""

    def __init__(self, tier: Tier, stop: threading.Event | None = None) -> None:
        self.interval = 60.0 / tier.calls_per_minute
        self.stop = stop or threading.Event()
        self._next = 0.0
        self.calls = 0

    def wait(self) -> bool:
        """Wait for the next slot; False when asked to stop meanwhile."""
        delay = self._next - time.monotonic()
        if delay > 0 and self.stop.wait(delay):
            return False
        self._next = time.monotonic() + self.interval
        self.calls += 1
        return not self.stop.is_set()


@dataclass(frozen=True)
class Page:
    messages: list[dict[str, Any]]
    next_cursor: str | None  # None: the window is exhausted


def _cursor(answer: Any) -> str | None:
    return (answer.get("response_metadata") or {}).get("next_cursor") or None


def history_pages(
    client: WebClient,
    channel_id: str,
    pace: Pace,
    *,
    oldest: str | None = None,
    latest: str | None = None,
    cursor: str | None = None,
    limit: int = 200,
) -> Iterator[Page]:
    """Pages of a channel's top-level messages (and broadcasts), newest first, from `cursor`."""
    params = {"channel": channel_id, "oldest": oldest, "latest": latest, "limit": limit}
    for answer in _answers(client.conversations_history, pace, cursor, **params):
        yield Page(list(answer.get("messages") or []), _cursor(answer))


def thread_replies(
    client: WebClient,
    channel_id: str,
    root_ts: str,
    pace: Pace,
    *,
    oldest: str | None = None,
    limit: int = 200,
) -> Iterator[dict[str, Any]]:
    """A thread's replies after `oldest` (the root itself excluded), oldest first."""
    params = {"channel": channel_id, "ts": root_ts, "oldest": oldest, "limit": limit}
    for answer in _answers(client.conversations_replies, pace, None, **params):
        yield from (m for m in answer.get("messages") or () if m.get("ts") != root_ts)


def _answers(
    method: Callable[..., Any], pace: Pace, cursor: str | None, **params: Any
) -> Iterator[Any]:
    """Slack's answers to a paginated conversations call, following its cursor from `cursor`
    (None: the first page) at `pace`, until the last page."""
    while pace.wait():
        answer = method(cursor=cursor, inclusive=False, **params)
        yield answer
        cursor = _cursor(answer)
        if cursor is None:
            return


def open_thread_replies(
    engine: Engine,
    client: WebClient,
    channel_pk: int,
    channel_id: str,
    oldest: str | None,
    pace: Pace,
) -> Iterator[dict[str, Any]]:
    """Replies after `oldest` in threads started before it, which a history window from
    `oldest` does not list (Slack shows a thread under its root only): those of the
    channel's unresolved incidents of the last `OPEN_THREAD_DAYS`. For catch-up and backfill;
    nothing when the window starts at the beginning of history (None)."""
    if oldest is None:
        return
    since = datetime.now(UTC) - timedelta(days=OPEN_THREAD_DAYS)
    with Session(engine) as session:
        roots = open_thread_roots(session, channel_pk, since, ts_time(oldest))
    for root_ts in roots:
        yield from thread_replies(client, channel_id, root_ts, pace, oldest=oldest)
