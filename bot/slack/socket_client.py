"""slack_sdk's Socket Mode client, told at once when its connection dies, and quiet about it.

The builtin client reads a cut TCP connection as an endless run of empty reads, so it learns
of the cut only at its ping timeout (four ping intervals, 40 s at Bolt's default), and each
ack it then fails to send (Slack redelivers those envelopes; the spool stores them once) is an
ERROR with a traceback. Here the session's socket reports an EOF, a failed read or send and a
close to `on_lost` the moment it happens; the end of a connection, ours or theirs, discards the
half frame being read (slack_sdk handed it on as broken JSON, an ERROR; Slack redelivers the
envelope); and an ack that cannot be sent is counted, not raised. `SocketWatch` reconnects
and writes the one WARNING line.
"""

from __future__ import annotations

import contextlib
import errno
import socket
import threading
import time
from collections.abc import Callable
from typing import Any

from slack_bolt import App
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_sdk.errors import SlackClientNotConnectedError
from slack_sdk.socket_mode.builtin import SocketModeClient

from bot.slack.socket_frames import problem, refuse


class WatchedSocket:
    """A session's socket that reports the first sign of its death once, with the reason."""

    def __init__(self, sock: socket.socket, report: Callable[[WatchedSocket], None]) -> None:
        self._sock = sock
        self._report = report
        self.reason: str | None = None
        self.lost_at: float | None = None
        self.retired = False  # closed on purpose (replaced or shut down): not a loss

    def lost(self, reason: str) -> None:
        if self.reason is None and not self.retired:
            self.reason = reason
            self.lost_at = time.time()
            self._report(self)

    def recv(self, size: int) -> bytes:
        try:
            data = self._sock.recv(size)
        except TimeoutError:
            raise  # no data yet: the reader polls
        except OSError as exc:  # also ours closed under the reader (a refresh): EBADF
            self.lost(f"read failed: {exc}")
            raise ConnectionResetError(errno.ECONNRESET, str(exc)) from exc  # drops a half frame
        if not data:
            self.lost("closed without a close frame")
            raise ConnectionResetError(errno.ECONNRESET, "end of stream")
        return data

    def send(self, data: bytes) -> int:
        try:
            return self._sock.send(data)
        except OSError as exc:
            self.lost(f"send failed: {exc}")
            raise

    def shut(self) -> None:
        """Retire and end the connection now, waking a reader blocked on it."""
        self.retired = True
        with contextlib.suppress(OSError):  # already gone
            self._sock.shutdown(socket.SHUT_RDWR)

    def close(self) -> None:
        self.lost("closed (a close frame, or slack_sdk's stale check)")
        self._sock.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sock, name)


class WatchedSocketModeClient(SocketModeClient):
    """SocketModeClient whose sessions report their loss to `on_lost`; failed acks counted."""

    def __init__(self, app_token: str, **options: Any) -> None:
        super().__init__(app_token, auto_reconnect_enabled=False, **options)
        self.on_lost: Callable[[], None] = lambda: None  # the reason stays on `watched`
        self.acks_failed = 0
        self.watched: WatchedSocket | None = None  # the current session's socket
        self._counter = threading.Lock()

    def connect(self) -> None:
        if self.watched is not None:
            self.watched.retired = True  # replaced on purpose, whatever happens to it now
        super().connect()
        session = self.current_session
        self.watched = None
        if session is not None and session.sock is not None:
            self.watched = WatchedSocket(session.sock, self._report)  # type: ignore[arg-type]
            session.sock = self.watched  # type: ignore[assignment]

    def enqueue_message(self, message: str) -> None:
        """A frame nobody could read is refused here, before slack_sdk's parse raises on it
        (`socket_frames.py`); the others are queued as slack_sdk does."""
        why = problem(message)
        if why is None:
            super().enqueue_message(message)
        else:
            refuse(self, message, why)

    def close(self) -> None:
        # slack_sdk's message thread waits up to a second for a message before it looks at
        # `closed` again, and close() joins it: a None (skipped) lets it stop at once.
        self.closed = True
        self.message_queue.put(None)
        super().close()

    def send_message(self, message: str) -> None:
        """Send on the current session; an ack that cannot go is counted, not raised."""
        session = self.current_session
        try:
            session.send(message)  # type: ignore[union-attr]
        except SlackClientNotConnectedError:
            current = self.current_session
            if current is not session and self.is_connected():  # replaced meanwhile (refresh)
                try:
                    current.send(message)  # type: ignore[union-attr]
                    return
                except SlackClientNotConnectedError:
                    pass
            with self._counter:
                self.acks_failed += 1  # Slack redelivers the envelope; the spool dedupes it

    def take_acks_failed(self) -> int:
        with self._counter:
            failed, self.acks_failed = self.acks_failed, 0
        return failed

    def _report(self, sock: WatchedSocket) -> None:
        if sock is self.watched and not self.closed:
            self.on_lost()

    def _on_error(self, error: Exception) -> None:
        """A network error on the session: reported by its socket, so no ERROR line here."""
        self.logger.debug(f"Socket Mode session error: {type(error).__name__}: {error}")
        for listener in self.on_error_listeners:
            listener(error)


class WatchedSocketModeHandler(SocketModeHandler):
    """Bolt's Socket Mode handler over `WatchedSocketModeClient`."""

    def __init__(self, app: App, app_token: str, *, ping_interval: float) -> None:
        self.app = app
        self.app_token = app_token
        self.client = WatchedSocketModeClient(
            app_token,
            logger=app.logger,
            web_client=app.client,
            proxy=app.client.proxy,
            ping_interval=ping_interval,
        )
        self.client.socket_mode_request_listeners.append(self.handle)  # type: ignore[arg-type]
