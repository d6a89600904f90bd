"""A fake Slack Socket Mode server on 127.0.0.1, speaking the envelope protocol.

Like Slack it greets each connection with ``hello``, sends envelopes (``events_api``,
``slash_commands``, ``interactive``) that the app must ack with ``{"envelope_id": ...}``, asks
for a refresh with ``disconnect``, and answers WebSocket pings. It accepts only the ticket URLs
that ``apps.connections.open`` on the fake Web API handed out, so a reconnect that skipped
that call fails as it would against Slack.

It can also fail the way real sessions do: ``drop()`` closes the TCP connection without a
close frame, ``stall()`` keeps it open but goes silent (no pongs, no envelopes, acks lost),
which is what a half-open connection after an idle period looks like to the client.

websockets' sans-I/O ServerProtocol does the handshake and framing; this module owns the
sockets, so it can stay silent at will, which a ready-made server cannot.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

from websockets.frames import Frame, Opcode
from websockets.http11 import Request
from websockets.server import ServerProtocol

from support.slack_samples import APP_ID, load

HOST = "127.0.0.1"


class SocketConnection:
    """One client connection; ``received`` holds every text frame the client sent."""

    def __init__(self, server: FakeSocketMode, sock: socket.socket) -> None:
        self.server = server
        self.sock = sock
        self.protocol = ServerProtocol()
        self.ticket: str | None = None
        self.received: list[dict[str, Any]] = []
        self.open = False
        self.stalled = False
        self.refreshing = False
        self.closed = threading.Event()
        self._send_lock = threading.Lock()

    def send(self, message: dict[str, Any]) -> bool:
        """Send one JSON text frame; False when the connection cannot carry it."""
        return self.send_text(json.dumps(message))

    def send_text(self, text: str) -> bool:
        """Send one text frame as it is (a malformed one, say)."""
        with self._send_lock:
            if not self.open or self.stalled:
                return False
            self.protocol.send_text(text.encode())
            self._flush()
        return True

    def disconnect(self, reason: str = "refresh_requested") -> None:
        """Slack's request to reconnect: this connection closes once the client has a new one."""
        message = load("socket_mode/disconnect.json")
        message["reason"] = reason
        self.refreshing = True
        self.send(message)

    def close(self) -> None:
        """Close with a proper WebSocket close frame."""
        with self._send_lock:
            if self.open and not self.stalled:
                self.protocol.send_close(1000, "goodbye")
                self._flush()
        self._shutdown()

    def drop(self, half_frame: dict[str, Any] | None = None) -> None:
        """Cut the TCP connection without a close frame, as a network failure would.

        With `half_frame`, the first half of that message's frame goes out first, as when the
        cut comes in the middle of an envelope.
        """
        if half_frame is not None:
            with self._send_lock:
                self.protocol.send_text(json.dumps(half_frame).encode())
                data = b"".join(self.protocol.data_to_send())
                with contextlib.suppress(OSError):
                    self.sock.sendall(data[: len(data) // 2])
        self._shutdown()

    def stall(self) -> None:
        """Keep the TCP connection open but never answer or deliver again."""
        self.stalled = True

    def _flush(self) -> None:
        for chunk in self.protocol.data_to_send():
            try:
                if chunk:
                    self.sock.sendall(chunk)
                else:
                    self.sock.shutdown(socket.SHUT_WR)
            except OSError:
                self.open = False
                return

    def _shutdown(self) -> None:
        self.open = False
        with contextlib.suppress(OSError):
            self.sock.shutdown(socket.SHUT_RDWR)
        self.sock.close()
        self.closed.set()

    def serve(self) -> None:
        """Read until the client goes away, dispatching handshake and frames."""
        try:
            while not self.closed.is_set():
                data = self.sock.recv(65536)
                if self.stalled and data:
                    continue
                with self._send_lock:
                    if data:
                        self.protocol.receive_data(data)
                    else:
                        self.protocol.receive_eof()
                    events = self.protocol.events_received()
                    self._flush()  # pongs and close replies the protocol queued
                for event in events:
                    self._handle(event)
                if not data:
                    break
        except OSError:
            pass
        finally:
            self._shutdown()
            self.server._changed()

    def _handle(self, event: Request | Frame) -> None:
        if isinstance(event, Request):
            self._handshake(event)
        elif event.opcode is Opcode.TEXT:
            message = json.loads(event.data)
            self.received.append(message)
            if "envelope_id" in message:
                self.server._acked(message)
        elif event.opcode is Opcode.CLOSE:
            self._shutdown()

    def _handshake(self, request: Request) -> None:
        ticket = parse_qs(urlsplit(request.path).query).get("ticket", [None])[0]
        with self._send_lock:
            if not self.server._redeem(ticket):
                self.protocol.send_response(self.protocol.reject(401, "invalid ticket\n"))
                self._flush()
                self._shutdown()
                return
            self.ticket = ticket
            self.protocol.send_response(self.protocol.accept(request))
            self.open = True
            self._flush()
        hello = load("socket_mode/hello.json")
        hello["num_connections"] = len(self.server.active)
        self.send(hello)
        for old in self.server.active:
            if old.refreshing:
                old.close()
        self.server._changed()


class FakeSocketMode:
    """The Socket Mode endpoint; ``issue_url()`` is what apps.connections.open returns.

    Envelopes go to the newest open connection, as a test would expect from a single client.
    ``acks`` maps envelope ids to the ack frames the app sent back.
    """

    def __init__(self, app_id: str = APP_ID) -> None:
        self.app_id = app_id
        self.connections: list[SocketConnection] = []
        self.acks: dict[str, dict[str, Any]] = {}
        self.sent: dict[str, dict[str, Any]] = {}
        self.sent_at: dict[str, float] = {}  # envelope id -> time.monotonic() when pushed
        self.redone: set[str] = set()  # envelope ids sent again under a new id
        self._tickets: set[str] = set()
        self._state = threading.Condition()
        self._listener = socket.create_server((HOST, 0))
        self.port = self._listener.getsockname()[1]
        self.url = f"ws://{HOST}:{self.port}"
        self._running = False

    def start(self) -> FakeSocketMode:
        self._running = True
        threading.Thread(target=self._accept, name="fake-socket-mode", daemon=True).start()
        return self

    def stop(self) -> None:
        self._running = False
        self._listener.close()
        for connection in list(self.connections):
            connection.drop()

    def issue_url(self) -> str:
        """A fresh single-use WebSocket URL, like the one apps.connections.open returns."""
        ticket = uuid.uuid4().hex
        with self._state:
            self._tickets.add(ticket)
        return f"{self.url}/link/?ticket={ticket}&app_id={self.app_id}"

    @property
    def active(self) -> list[SocketConnection]:
        return [c for c in self.connections if c.open and not c.closed.is_set()]

    @property
    def current(self) -> SocketConnection:
        active = self.active
        if not active:
            raise RuntimeError("no open Socket Mode connection")
        return active[-1]

    def push(
        self,
        payload: dict[str, Any],
        type: str = "events_api",
        *,
        retry_attempt: int = 0,
        retry_reason: str = "",
        envelope_id: str | None = None,
    ) -> str:
        """Send an envelope to the current connection and return its envelope_id.

        ``payload`` is what Slack would POST in HTTP mode: an Events API body for
        ``events_api``, the command's fields for ``slash_commands``, the interaction payload
        for ``interactive``. With no live connection, or a stalled one, it is silently lost,
        as on a dead socket; ``sent`` keeps every envelope pushed.
        """
        envelope_id = envelope_id or str(uuid.uuid4())
        envelope = {
            "envelope_id": envelope_id,
            "payload": payload,
            "type": type,
            "accepts_response_payload": type != "events_api",
        }
        if type == "events_api":
            envelope.update(retry_attempt=retry_attempt, retry_reason=retry_reason)
        self.sent[envelope_id] = envelope
        self.sent_at[envelope_id] = time.monotonic()
        if self.active:
            self.current.send(envelope)
        return envelope_id

    def redeliver(self, older_than: float = 0.0) -> list[str]:
        """Send again, as Slack does, every envelope not acked yet; return the new envelope ids.

        Each goes out under a new envelope id with its `retry_attempt` one higher; envelopes
        sent less than `older_than` seconds ago may still be acked and are left alone.
        """
        due = time.monotonic() - older_than
        unacked = [
            e
            for i, e in list(self.sent.items())
            if i not in self.acks and i not in self.redone and self.sent_at[i] <= due
        ]
        ids = []
        for envelope in unacked:
            self.redone.add(envelope["envelope_id"])
            ids.append(
                self.push(
                    envelope["payload"],
                    envelope["type"],
                    retry_attempt=envelope.get("retry_attempt", 0) + 1,
                    retry_reason="timeout",
                )
            )
        return ids

    def disconnect(self, reason: str = "refresh_requested") -> None:
        self.current.disconnect(reason)

    def drop(self, half_frame: dict[str, Any] | None = None) -> None:
        self.current.drop(half_frame)

    def stall(self) -> None:
        self.current.stall()

    def wait_for_ack(self, envelope_id: str, timeout: float = 5.0) -> dict[str, Any]:
        self._wait(lambda: envelope_id in self.acks, timeout, f"ack of {envelope_id}")
        return self.acks[envelope_id]

    def wait_for_connections(self, count: int = 1, timeout: float = 5.0) -> SocketConnection:
        """Wait until ``count`` connections were greeted in all; return the newest open one."""
        self._wait(
            lambda: sum(c.ticket is not None for c in self.connections) >= count and self.active,
            timeout,
            f"{count} Socket Mode connection(s)",
        )
        return self.current

    def _wait(self, ready: Callable[[], Any], timeout: float, what: str) -> None:
        with self._state:
            if not self._state.wait_for(ready, timeout):
                raise TimeoutError(f"timed out after {timeout}s waiting for {what}")

    def _accept(self) -> None:
        while self._running:
            try:
                sock, _ = self._listener.accept()
            except OSError:
                return
            connection = SocketConnection(self, sock)
            with self._state:
                self.connections.append(connection)
            threading.Thread(target=connection.serve, daemon=True).start()

    def _redeem(self, ticket: str | None) -> bool:
        with self._state:
            if ticket not in self._tickets:
                return False
            self._tickets.discard(ticket)
            return True

    def _acked(self, message: dict[str, Any]) -> None:
        with self._state:
            self.acks[message["envelope_id"]] = message
            self._state.notify_all()

    def _changed(self) -> None:
        with self._state:
            self._state.notify_all()
