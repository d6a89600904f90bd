"""Socket Mode that stays alive: a watchdog over Bolt's SocketModeHandler.

The handler is built with slack_sdk's own auto-reconnect off, so that every reconnect after a
failure goes through here and is logged; Slack's `disconnect` (refresh) requests are still
followed by slack_sdk, and the watchdog logs the new session.

Users of Bolt report Socket Mode sessions that stop delivering after an idle period or a
reconnect while the client still believes it is connected. slack_sdk pings the server, and the
watchdog does not trust the client's own verdict alone: every `interval` seconds it checks that
the session is connected and that the server answered recently (a pong, a hello, an envelope),
and when not, it asks `apps.connections.open` for a fresh URL and reconnects. Every reconnect
is logged, and the state is published for /healthz, `friction status` and a periodic log line.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_sdk.socket_mode.builtin import SocketModeClient

from bot.logs import log_event

log = logging.getLogger(__name__)


@dataclass
class SocketHealth:
    connected: bool = False
    session_id: str | None = None
    last_heard: float | None = None  # when the server last answered (pong, hello, envelope)
    reconnects: int = 0
    last_reconnect: float | None = None
    last_reconnect_reason: str | None = None
    checked: float | None = None

    @property
    def healthy(self) -> bool:
        return self.connected


class SocketWatch:
    """Connects Bolt in Socket Mode and keeps the connection alive."""

    def __init__(
        self,
        handler: SocketModeHandler,
        *,
        interval: float = 10.0,
        stale_after: float = 45.0,
        report_every: float = 300.0,
        publish: Callable[[dict[str, Any]], None] | None = None,
    ) -> None:
        self.handler = handler
        self.client: SocketModeClient = handler.client
        self.interval = interval
        self.stale_after = stale_after
        self.report_every = report_every
        self.publish = publish
        self.health = SocketHealth()
        self._heard = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="socket-watch", daemon=True)
        self.client.message_listeners.append(self._on_message)

    def start(self) -> SocketWatch:
        self.handler.connect()
        self._heard = time.time()
        self.check()
        log_event(log, "socket_mode.connected", session=self.health.session_id)
        self._thread.start()
        return self

    def close(self) -> None:
        self._stop.set()
        self.handler.close()
        self._thread.join(5)

    def check(self) -> SocketHealth:
        """Look at the session once; reconnect when it is down or has gone quiet."""
        session = self.client.current_session
        pong = session.last_ping_pong_time if session is not None else None
        heard = max(self._heard, pong or 0.0)
        quiet = time.time() - heard
        connected = self.client.is_connected()
        if not connected:
            self.reconnect("disconnected")
        elif quiet > self.stale_after:
            self.reconnect(f"no answer from Slack for {quiet:.0f}s")
        session_id = self.client.session_id()
        if self.health.session_id and session_id != self.health.session_id and connected:
            self._count("Slack asked for a refresh")  # slack_sdk reconnects on `disconnect`
        self.health.connected = self.client.is_connected()
        self.health.session_id = self.client.session_id()
        self.health.last_heard = heard
        self.health.checked = time.time()
        if self.publish is not None:
            self.publish(asdict(self.health))
        return self.health

    def reconnect(self, reason: str) -> None:
        log_event(
            log,
            "socket_mode.reconnect",
            logging.WARNING,
            reason=reason,
            session=self.client.session_id(),
        )
        try:
            self.client.connect_to_new_endpoint(force=True)
        except Exception as exc:  # Slack unreachable: try again at the next check
            log_event(log, "socket_mode.reconnect_failed", logging.ERROR, error=str(exc)[:200])
            return
        self._heard = time.time()
        self._count(reason)

    def _count(self, reason: str) -> None:
        self.health.session_id = self.client.session_id()
        self.health.reconnects += 1
        self.health.last_reconnect = time.time()
        self.health.last_reconnect_reason = reason
        log_event(
            log,
            "socket_mode.reconnected",
            session=self.health.session_id,
            reason=reason,
            reconnects=self.health.reconnects,
        )

    def _on_message(self, _client: SocketModeClient, _message: dict, _raw: str | None) -> None:
        self._heard = time.time()

    def _run(self) -> None:
        last_report = time.monotonic()
        while not self._stop.wait(self.interval):
            try:
                health = self.check()
            except Exception:
                log.exception("the Socket Mode check failed")
                continue
            if time.monotonic() - last_report >= self.report_every:
                last_report = time.monotonic()
                log_event(
                    log,
                    "socket_mode.health",
                    connected=health.connected,
                    session=health.session_id,
                    quiet=f"{time.time() - health.last_heard:.0f}s",
                    reconnects=health.reconnects,
                )
