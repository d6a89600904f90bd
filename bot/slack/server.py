"""HTTP mode: the Bolt app behind waitress, Slack's requests at /slack/events, GET /healthz.

The edge (`edge.py`) checks size, signature and syntax first; Bolt's WSGI adapter then does the
Slack side (url_verification, dispatch); waitress is a small pure-Python production server with
a thread pool, so a slow request never holds up the others, and it refuses a body over
`MAX_BODY` with 413 from its headers, before reading it. The only route of our own is /healthz,
for load balancers and `curl`.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Iterable
from functools import partial
from typing import Any

import waitress
from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from waitress import wasyncore

from bot.slack.edge import MAX_BODY, guarded

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"
# Request threads. An event's ack waits for the spool's fsync (a few ms), and every request
# waiting at that moment shares it (group commit): more threads, more events per fsync.
THREADS = 32

# (healthy, details): /healthz answers 200 when healthy, else 503, with the details as JSON.
Health = Callable[[], tuple[bool, dict[str, Any]]]


def wsgi_app(app: App, health: Health, signing_secret: str) -> Callable[..., Iterable[bytes]]:
    """Bolt behind the edge at /slack/events, the health report at GET /healthz."""
    slack = guarded(SlackRequestHandler(app, path=EVENTS_PATH), signing_secret, EVENTS_PATH)

    def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == HEALTH_PATH and environ["REQUEST_METHOD"] in ("GET", "HEAD"):
            healthy, details = health()
            body = json.dumps(details, default=str).encode()
            status = "200 OK" if healthy else "503 Service Unavailable"
            start_response(
                status, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
            )
            return [body]
        return slack(environ, start_response)

    return application


class HttpServer:
    """waitress serving the app on host:port (port 0 picks a free one: see `.port`)."""

    def __init__(
        self,
        app: App,
        health: Health,
        *,
        signing_secret: str,
        host: str = "0.0.0.0",
        port: int = 3000,
        threads: int = THREADS,
    ) -> None:
        self._sockets: dict[int, Any] = {}  # waitress's socket map: closing it ends the loop
        self._server = waitress.create_server(
            wsgi_app(app, health, signing_secret),
            map=self._sockets,
            host=host,
            port=port,
            threads=threads,
            ident="friction",
            max_request_body_size=MAX_BODY,
        )
        self.port: int = self._server.effective_port
        self._thread: threading.Thread | None = None

    def serve_forever(self) -> None:
        self._server.run()

    def start(self) -> HttpServer:
        """Serve from a background thread (tests, benchmarks)."""
        self._thread = threading.Thread(target=self.serve_forever, name="http", daemon=True)
        self._thread.start()
        return self

    def close(self) -> None:
        """Stop serving. A loop still running closes its own sockets, from its own thread:
        closed under its `select`, they would fail it with EBADF."""
        close_all = partial(wasyncore.close_all, self._sockets)
        if self._thread is not None and self._thread.is_alive():
            try:
                self._server.trigger.pull_trigger(close_all)
            except OSError:  # EBADF: the loop is closing its sockets already, the trigger first
                log.debug("HTTP server already closing")
            self._thread.join(10)
        else:
            close_all()
        self._server.task_dispatcher.shutdown()
