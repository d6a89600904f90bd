"""The running bot: Bolt app, spool, writer, and either the HTTP server or Socket Mode.

`friction run` builds one `LiveBot` and serves; tests and the benchmark build the same object
in-process, so what they exercise is what runs.
"""

from __future__ import annotations

import time
from functools import partial
from pathlib import Path
from typing import Any

from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_sdk import WebClient

from bot.context import Context
from bot.live_events import ChannelNames, LiveEvents, is_transient
from bot.server import HttpServer
from bot.slack_app import FEATURES, build_app, web_client
from bot.socket_watch import SocketWatch
from bot.spool import DEFAULT_PATH, Spool, Writer, spool_event


class LiveBot:
    """Everything `friction run` starts, wired once."""

    def __init__(
        self,
        context: Context,
        *,
        spool_path: str | Path = DEFAULT_PATH,
        client: WebClient | None = None,
        features: tuple[str, ...] = FEATURES,
    ) -> None:
        self.context = context
        self.client = client or web_client(context.settings)
        self.names = ChannelNames(self.client)
        self.events = LiveEvents(context, self.names)
        self.spool = Spool(spool_path)
        self.writer = Writer(self.spool, self.events.apply, is_transient)
        self.app = build_app(
            context, client=self.client, sink=partial(spool_event, self.spool), features=features
        )
        self.http: HttpServer | None = None
        self.socket: SocketWatch | None = None
        self.started = time.time()

    def start_writer(self) -> LiveBot:
        self.writer.start()
        return self

    def serve_http(self, host: str = "0.0.0.0", port: int = 3000, threads: int = 8) -> HttpServer:
        """The HTTP-mode server, not yet serving: call `serve_forever()` or `start()` on it."""
        self.http = HttpServer(self.app, self.health, host=host, port=port, threads=threads)
        return self.http

    def connect_socket_mode(
        self,
        app_token: str,
        *,
        ping_interval: float = 10.0,
        check_every: float = 10.0,
        stale_after: float = 45.0,
    ) -> SocketWatch:
        handler = SocketModeHandler(
            self.app, app_token, ping_interval=ping_interval, auto_reconnect_enabled=False
        )
        self.socket = SocketWatch(
            handler,
            interval=check_every,
            stale_after=stale_after,
            publish=partial(self.spool.set_status, "socket_mode"),
        )
        return self.socket.start()

    def health(self) -> tuple[bool, dict[str, Any]]:
        """Healthy while the writer runs (a database outage only delays: events are spooled)."""
        counts = self.spool.counts()
        writer = self.writer.health
        details: dict[str, Any] = {
            "status": "ok" if writer.database == "ok" else "degraded",
            "database": writer.database,
            "spool_pending": counts.pending,
            "spool_failed": counts.failed,
            "applied": writer.applied,
            "uptime_seconds": round(time.time() - self.started),
        }
        healthy = self.writer.alive
        if not healthy:
            details["status"] = "down"
        if self.socket is not None:
            details["socket_mode"] = {
                "connected": self.socket.health.connected,
                "reconnects": self.socket.health.reconnects,
            }
            healthy = healthy and self.socket.health.healthy
        return healthy, details

    def close(self) -> None:
        if self.socket is not None:
            self.socket.close()
        if self.http is not None:
            self.http.close()
        self.writer.stop()
        self.spool.close()
