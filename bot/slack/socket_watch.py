"""Socket Mode that stays alive: a watchdog over Bolt's Socket Mode handler.

The handler's client (`socket_client.WatchedSocketModeClient`) has slack_sdk's own
auto-reconnect off, so every reconnect after a failure goes through here and is logged; Slack's
`disconnect` (refresh) requests are still followed by slack_sdk, and the watchdog counts the
new session.

A dead connection is replaced at once: the client reports an end of stream, a failed read or
send (a failed ack is often the first sign) or a close the moment it sees it, and this thread
wakes and asks `apps.connections.open` for a fresh URL. A connection that stays open but
silent (half-open: no pongs, no envelopes) is caught by time: every `interval` seconds the
watchdog checks that the server answered within `stale_after` seconds. A lost connection is
one WARNING line once it is back (reason, acks that could not be sent, seconds deaf); the
state is published for /healthz, `friction status` and a periodic log line.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from slack_sdk.socket_mode.builtin.connection import Connection

from bot.logs import log_event
from bot.slack.socket_client import WatchedSocketModeClient, WatchedSocketModeHandler

log = logging.getLogger(__name__)


REPORT_EVERY = 300.0  # seconds between the log's summary lines of the connection's health
PUBLISH_EVERY = 10.0  # seconds between writes of an unchanged state for `friction status`


@dataclass
class SocketHealth:
    connected: bool = False
    session_id: str | None = None
    last_heard: float | None = None  # when the server last answered (pong, hello, envelope)
    reconnects: int = 0
    last_reconnect: float | None = None
    last_reconnect_reason: str | None = None
    longest_deaf_seconds: float = 0.0  # the longest gap between a loss and the new session


class SocketWatch:
    """Connects Bolt in Socket Mode and keeps the connection alive."""

    def __init__(
        self,
        handler: WatchedSocketModeHandler,
        *,
        interval: float,
        stale_after: float,
        publish: Callable[[dict[str, Any]], None] | None = None,
    ) -> None:
        self.handler = handler
        self.client: WatchedSocketModeClient = handler.client
        self.interval = interval
        self.stale_after = stale_after
        self.publish = publish
        self.health = SocketHealth()
        self._heard = 0.0
        self._published: tuple[Any, ...] | None = None
        self._published_at = 0.0
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread = threading.Thread(target=self._run, name="socket-watch", daemon=True)
        self.client.message_listeners.append(self._on_message)
        self.client.on_lost = self._wake.set

    def start(self) -> SocketWatch:
        self.handler.connect()
        self._heard = time.time()
        self.check()
        log_event(log, "socket_mode.connected", session=self.health.session_id)
        self._thread.start()
        return self

    def close(self) -> None:
        self._stop.set()
        self._wake.set()
        self.handler.close()
        self._thread.join(5)

    def check(self) -> SocketHealth:
        """Look at the session once; reconnect when it died or has gone quiet."""
        session = self.client.current_session
        pong = session.last_ping_pong_time if session is not None else None
        heard = max(self._heard, pong or 0.0)
        quiet = time.time() - heard
        watched = self.client.watched
        if watched is not None and watched.reason is not None:
            self.reconnect(session, watched.reason, watched.lost_at or time.time())
        elif not self.client.is_connected():
            self.reconnect(session, "disconnected", heard)
        elif quiet > self.stale_after:
            self.reconnect(session, f"no answer from Slack for {quiet:.0f}s", heard)
        session_id = self.client.session_id()
        connected = self.client.is_connected()
        if self.health.session_id and session_id != self.health.session_id and connected:
            self._count("Slack asked for a refresh")  # slack_sdk reconnects on `disconnect`
        self.health.connected = connected
        self.health.session_id = session_id
        self.health.last_heard = heard
        self._publish()
        return self.health

    def reconnect(self, session: Connection | None, reason: str, since: float) -> None:
        """Replace `session` unless a refresh already did; log one line once back."""
        with self.client.connect_operation_lock:  # a refresh in progress finishes first
            if session is not self.client.current_session:
                return  # replaced meanwhile: nothing is lost
            if self.client.watched is not None:
                self.client.watched.shut()  # frees the reader at once, even on a stall
            if session is not None:
                session.disconnect()
        try:
            self.client.connect_to_new_endpoint()  # only if, under its lock, still down
        except Exception as exc:  # Slack unreachable: try again at the next check
            log_event(log, "socket_mode.reconnect_failed", logging.WARNING, error=str(exc)[:200])
            return
        if not self.client.is_connected():
            log_event(log, "socket_mode.reconnect_failed", logging.WARNING, reason=reason)
            return
        self._heard = time.time()
        deaf = self._heard - since
        acks = self.client.take_acks_failed()
        self.health.longest_deaf_seconds = max(self.health.longest_deaf_seconds, deaf)
        self._count(reason, logging.WARNING, acks_failed=acks, deaf=f"{deaf:.1f}s")

    def _count(self, reason: str, level: int = logging.INFO, **fields: Any) -> None:
        self.health.session_id = self.client.session_id()
        self.health.reconnects += 1
        self.health.last_reconnect = time.time()
        self.health.last_reconnect_reason = reason
        log_event(
            log,
            "socket_mode.reconnected",
            level,
            reason=reason,
            **fields,
            session=self.health.session_id,
            reconnects=self.health.reconnects,
        )

    def _publish(self) -> None:
        """Write the state out when it changed, and every `PUBLISH_EVERY` seconds otherwise."""
        if self.publish is None:
            return
        health = self.health
        key = (health.connected, health.session_id, health.reconnects)
        if key == self._published and time.time() - self._published_at < PUBLISH_EVERY:
            return
        self.publish(asdict(health))
        self._published, self._published_at = key, time.time()

    def _on_message(self, _client: Any, _message: dict, _raw: str | None) -> None:
        self._heard = time.time()

    def _run(self) -> None:
        last_report = time.monotonic()
        while not self._stop.is_set():
            self._wake.wait(self.interval)
            self._wake.clear()
            if self._stop.is_set():
                return
            try:
                health = self.check()
            except Exception:
                log.exception("the Socket Mode check failed")
                continue
            if time.monotonic() - last_report >= REPORT_EVERY:
                last_report = time.monotonic()
                log_event(
                    log,
                    "socket_mode.health",
                    connected=health.connected,
                    session=health.session_id,
                    quiet=f"{time.time() - health.last_heard:.0f}s",
                    reconnects=health.reconnects,
                )
