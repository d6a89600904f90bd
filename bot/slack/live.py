"""The running bot: Bolt app, spool, writer, and either the HTTP server or Socket Mode.

`friction run` builds one `LiveBot` and serves; tests and the benchmark build the same object
in-process, so what they exercise is what runs.
"""

from __future__ import annotations

import time
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from slack_sdk import WebClient

from bot.config import ConfigError, Settings
from bot.context import Context
from bot.slack.app import FEATURES, Feature, build_app, web_client
from bot.slack.events import ChannelNames, LiveEvents, is_transient
from bot.slack.server import THREADS, HttpServer
from bot.slack.socket_client import WatchedSocketModeHandler
from bot.slack.socket_watch import SocketWatch
from bot.slack.spool import DEFAULT_PATH, Spool, Writer, spool_event


def check_credentials(config: Settings) -> bool:
    """Refuse missing or malformed Slack credentials up front; True for Socket Mode."""

    def secret(name: str, value: Any, prefix: str | None, what: str) -> None:
        if value is None or not value.get_secret_value().strip():
            raise ConfigError(f"{name} is not set: {what}")
        text = value.get_secret_value()
        if prefix and not text.startswith(prefix):
            shown = text.split("-", 1)[0] + "-..." if "-" in text else "no prefix"
            raise ConfigError(f"{name} must be {what} starting with {prefix}, not {shown}")

    secret(
        "SLACK_BOT_TOKEN",
        config.slack_bot_token,
        "xoxb-",
        "the Bot User OAuth Token (OAuth & Permissions)",
    )
    socket_mode = config.slack_app_token is not None
    if socket_mode:
        secret(
            "SLACK_APP_TOKEN",
            config.slack_app_token,
            "xapp-",
            "an app-level token with connections:write (Basic Information)",
        )
    else:
        secret(
            "SLACK_SIGNING_SECRET",
            config.slack_signing_secret,
            None,
            "HTTP mode needs the Signing Secret (Basic Information); "
            "or set SLACK_APP_TOKEN for Socket Mode",
        )
    url = urlsplit(config.slack_api_url)
    if url.scheme not in ("http", "https") or not url.netloc:
        raise ConfigError(f"SLACK_API_URL must be an http(s) URL, not {config.slack_api_url!r}")
    return socket_mode


class LiveBot:
    """Everything `friction run` starts, wired once."""

    def __init__(
        self,
        context: Context,
        *,
        spool_path: str | Path = DEFAULT_PATH,
        client: WebClient | None = None,
        features: tuple[Feature, ...] = FEATURES,
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

    def serve_http(
        self, host: str = "0.0.0.0", port: int = 3000, threads: int = THREADS
    ) -> HttpServer:
        """The HTTP-mode server, not yet serving: call `serve_forever()` or `start()` on it."""
        self.spool.clear_status("socket_mode")  # a previous run's, not to be shown as ours
        secret = self.context.settings.slack_signing_secret
        self.http = HttpServer(
            self.app,
            self.health,
            signing_secret=secret.get_secret_value() if secret else "",
            host=host,
            port=port,
            threads=threads,
        )
        return self.http

    def connect_socket_mode(
        self,
        app_token: str,
        *,
        ping_interval: float = 5.0,
        check_every: float = 1.0,
        stale_after: float = 11.0,
    ) -> SocketWatch:
        """Connect; a silent connection (no pong to two pings) is replaced after `stale_after`."""
        handler = WatchedSocketModeHandler(self.app, app_token, ping_interval=ping_interval)
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
            socket = self.socket.health
            details["socket_mode"] = {
                "connected": socket.connected,
                "reconnects": socket.reconnects,
                "last_reconnect_reason": socket.last_reconnect_reason,
                "longest_deaf_seconds": round(socket.longest_deaf_seconds, 3),
            }
            healthy = healthy and socket.connected
        return healthy, details

    def close(self) -> None:
        if self.socket is not None:
            self.socket.close()
        if self.http is not None:
            self.http.close()
        self.writer.stop()
        self.spool.close()
