"""A fake Slack Web API on 127.0.0.1, for tests that exercise the bot over real HTTP.

Point slack_sdk (or the bot, through ``SLACK_API_URL``) at ``fake.api_url``. It answers like
Slack: the payload shapes of ``tests/data/slack/api``, its errors (``channel_not_found``,
``not_in_channel``, ``invalid_auth``, ``missing_scope`` for a method the granted bot scopes do
not cover, ...), and HTTP 429 with ``Retry-After``. It keeps channels and their history in
memory, paginates ``conversations.history`` / ``conversations.replies`` as Slack does, stores
what ``files_upload_v2`` uploads, hands out Socket Mode URLs of a ``FakeSocketMode``, and
records every call so a test can assert on what the bot asked for.

A test can script the next answers of a method (``fake.queue(method, ratelimited(1))``),
rate-limit it (``fake.rate_limit(method, calls=1, per=2.0)``), cap history pages as Slack does
for non-Marketplace apps (``fake.history_page_max = 15``), or answer a method itself
(``fake.on(method, handler)``).
"""

from __future__ import annotations

import base64
import binascii
import itertools
import json
import math
import threading
import time
import traceback
from collections import defaultdict, deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
import yaml
from slack_sdk import WebClient

from support.fake_socket_mode import FakeSocketMode
from support.slack_samples import (
    APP_ID,
    BOT_ID,
    BOT_USER_ID,
    HELP_CHANNEL,
    LEADS_CHANNEL,
    LEARNER,
    TEAM_ID,
    load,
)

HOST = "127.0.0.1"
MANIFEST = Path(__file__).resolve().parents[2] / "manifest.yml"

# Bot scope each method needs; "{kind}" is "channels" for a public channel and "groups" for
# a private one. None: no scope needed. A method missing here is unknown to the fake.
METHOD_SCOPES: dict[str, str | None] = {
    "auth.test": None,
    "apps.connections.open": "connections:write",  # app-level token, not a bot scope
    "chat.postMessage": "chat:write",
    "chat.postEphemeral": "chat:write",
    "chat.update": "chat:write",
    "chat.getPermalink": None,
    "conversations.history": "{kind}:history",
    "conversations.replies": "{kind}:history",
    "conversations.info": "{kind}:read",
    "conversations.list": "{kind}:read",
    "files.getUploadURLExternal": "files:write",
    "files.completeUploadExternal": "files:write",
    "reactions.get": "reactions:read",
    "usergroups.users.list": "usergroups:read",
    "views.open": None,
    "views.update": None,
    "views.publish": None,
}

# Block Kit limits Slack enforces with invalid_blocks (messages) / invalid_arguments (views).
MAX_MESSAGE_BLOCKS = 50
MAX_VIEW_BLOCKS = 100
MAX_SECTION_TEXT = 3000
MAX_HEADER_TEXT = 150


def bot_scopes_from_manifest(path: Path = MANIFEST) -> set[str]:
    """The bot scopes ``manifest.yml`` grants: what the installed app may call."""
    manifest = yaml.safe_load(path.read_text(encoding="utf-8"))
    return set(manifest["oauth_config"]["scopes"]["bot"])


def scopes_for(method: str) -> set[str]:
    """Every bot scope that can satisfy ``method`` (both channel kinds); empty if none needed."""
    scope = METHOD_SCOPES[method]
    if scope is None:
        return set()
    return {scope.format(kind=kind) for kind in ("channels", "groups")}


@dataclass(frozen=True)
class Reply:
    """One scripted answer: a JSON body (or raw bytes), its HTTP status, headers and a delay."""

    body: dict[str, Any] | bytes
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


def error(code: str, status: int = 200, **extra: Any) -> Reply:
    """Slack's error shape: ``{"ok": false, "error": code}``, HTTP 200 unless told."""
    return Reply({"ok": False, "error": code, **extra}, status=status)


def ratelimited(retry_after: int = 1) -> Reply:
    """HTTP 429 with ``Retry-After`` in whole seconds, as Slack answers a rate-limited call."""
    return Reply(load("api/error.ratelimited.json"), 429, {"Retry-After": str(retry_after)})


@dataclass(frozen=True)
class Call:
    """One request the fake received: method, parsed params (query, form or JSON), headers."""

    method: str
    params: dict[str, Any]
    headers: dict[str, str]
    at: float

    @property
    def token(self) -> str | None:
        auth = self.headers.get("authorization", "")
        if auth.lower().startswith("bearer "):
            return auth[7:]
        return self.params.get("token")


@dataclass
class Upload:
    """A file going through files_upload_v2; ``content`` is None until its bytes arrive."""

    id: str
    filename: str
    length: int
    alt_txt: str | None = None
    title: str | None = None
    content: bytes | None = None
    channel: str | None = None
    thread_ts: str | None = None
    initial_comment: str | None = None


class SlackError(Exception):
    """Raised inside a method to answer with Slack's error shape."""

    def __init__(self, code: str, **extra: Any) -> None:
        super().__init__(code)
        self.reply = error(code, **extra)


def ts_key(ts: str) -> tuple[int, int]:
    """Order of Slack timestamps: compare them as numbers, keep them as strings."""
    seconds, _, micros = ts.partition(".")
    return int(seconds), int(micros.ljust(6, "0")[:6])


def _encode_cursor(ts: str) -> str:
    return base64.b64encode(f"next_ts:{ts.replace('.', '')}".encode()).decode()


def _decode_cursor(cursor: str) -> tuple[int, int]:
    try:
        raw = base64.b64decode(cursor, validate=True).decode()
    except (binascii.Error, UnicodeDecodeError) as bad:
        raise SlackError("invalid_cursor") from bad
    prefix, _, digits = raw.partition(":")
    if prefix != "next_ts" or not digits.isdigit() or len(digits) <= 6:
        raise SlackError("invalid_cursor")
    return int(digits[:-6]), int(digits[-6:])


def _flag(value: Any) -> bool:
    return str(value).lower() in ("1", "true")


def _json_param(params: dict[str, Any], name: str) -> Any:
    """A structured param: a JSON value in a JSON body, a JSON string in a form body."""
    value = params.get(name)
    if isinstance(value, str):
        try:
            return json.loads(value)
        except json.JSONDecodeError as bad:
            raise SlackError("invalid_arguments") from bad
    return value


def _blocks_problem(blocks: list[dict[str, Any]], max_blocks: int) -> str | None:
    if len(blocks) > max_blocks:
        return f"no more than {max_blocks} items allowed [json-pointer:/blocks]"
    for i, block in enumerate(blocks):
        text = (block.get("text") or {}).get("text", "")
        limit = MAX_HEADER_TEXT if block.get("type") == "header" else MAX_SECTION_TEXT
        if len(text) > limit:
            return f"must be less than {limit + 1} characters [json-pointer:/blocks/{i}/text]"
    return None


def _check_blocks(params: dict[str, Any], max_blocks: int = MAX_MESSAGE_BLOCKS) -> Any:
    blocks = _json_param(params, "blocks")
    if blocks is not None:
        problem = _blocks_problem(blocks, max_blocks)
        if problem:
            raise SlackError("invalid_blocks", response_metadata={"messages": [problem]})
    return blocks


class FakeSlack:
    """The fake Web API server. Use as a context manager or through the ``fake_slack`` fixture.

    ``scopes`` are the bot scopes granted (None grants all); the fixture grants exactly those
    of ``manifest.yml``, so a call the manifest does not cover fails in tests as in Slack.
    """

    def __init__(
        self,
        *,
        bot_token: str = "xoxb-test-token",
        app_token: str = "xapp-test-token",
        scopes: set[str] | None = None,
    ) -> None:
        self.bot_token = bot_token
        self.app_token = app_token
        self.scopes = scopes
        self.workspace_url = load("api/auth.test.json")["url"]
        self.history_page_max = 999
        self.calls: list[Call] = []
        self.channels: dict[str, dict[str, Any]] = {}
        self.history: dict[str, dict[str, dict[str, Any]]] = defaultdict(dict)
        self.ephemerals: list[dict[str, Any]] = []
        self.views: dict[str, dict[str, Any]] = {}
        self.home_views: dict[str, dict[str, Any]] = {}
        self.uploads: dict[str, Upload] = {}
        self.hooks: list[tuple[str, Any]] = []
        self.errors: list[str] = []
        self.usergroups: dict[str, list[str]] = {
            "S0123TAS": load("api/usergroups.users.list.json")["users"]
        }
        self.socket_mode = FakeSocketMode()
        self._lock = threading.RLock()
        self._queues: dict[str, deque[Reply]] = defaultdict(deque)
        self._handlers: dict[str, Callable[[Call], dict[str, Any] | Reply]] = {}
        self._limits: dict[str, tuple[int, float, deque[float]]] = {}
        self._ids = itertools.count(1)
        self._last_ts = (0, 0)
        self._server = ThreadingHTTPServer((HOST, 0), _Handler)
        self._server.daemon_threads = True
        self._server.fake = self  # type: ignore[attr-defined]
        self.base_url = f"http://{HOST}:{self._server.server_address[1]}"
        self.api_url = f"{self.base_url}/api/"
        self.add_channel(HELP_CHANNEL, "help-lab4")
        self.add_channel(LEADS_CHANNEL, "friction-leads")

    # -- lifecycle ---------------------------------------------------------------------

    def start(self) -> FakeSlack:
        serve = threading.Thread(  # stop() waits for the loop to poll (every 10 ms)
            target=self._server.serve_forever, args=(0.01,), name="fake-slack", daemon=True
        )
        serve.start()
        self.socket_mode.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self.socket_mode.stop()

    def __enter__(self) -> FakeSlack:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def client(self, **options: Any) -> WebClient:
        """A slack_sdk WebClient on the fake, with the bot token unless told otherwise."""
        options.setdefault("token", self.bot_token)
        return WebClient(base_url=self.api_url, **options)

    def environ(self, *, socket_mode: bool = True) -> dict[str, str]:
        """Environment pointing ``friction run`` at the fake; without the app token: HTTP mode."""
        env = {"SLACK_API_URL": self.api_url, "SLACK_BOT_TOKEN": self.bot_token}
        if socket_mode:
            env["SLACK_APP_TOKEN"] = self.app_token
        return env

    # -- workspace state ---------------------------------------------------------------

    def add_channel(
        self, id: str, name: str, *, private: bool = False, member: bool = True
    ) -> dict[str, Any]:
        channel = {
            "id": id,
            "name": name,
            "name_normalized": name,
            "is_channel": not private,
            "is_group": private,
            "is_private": private,
            "is_archived": False,
            "is_member": member,
            "created": 1731000000,
            "context_team_id": TEAM_ID,
        }
        with self._lock:
            self.channels[id] = channel
        return channel

    def post(
        self,
        channel: str,
        text: str,
        *,
        user: str = LEARNER,
        ts: str | None = None,
        thread_ts: str | None = None,
        **fields: Any,
    ) -> dict[str, Any]:
        """Put a message in a channel's history as if someone had posted it (no event is sent)."""
        message = {"type": "message", "user": user, "text": text, "team": TEAM_ID, **fields}
        if thread_ts is not None:
            message["thread_ts"] = thread_ts
        return self._store(channel, message, ts)

    def load_history(self, channel: str, messages: list[dict[str, Any]]) -> None:
        """Put messages (an export day, a sample page) in a channel's history, keeping their ts."""
        for message in messages:
            self._store(channel, dict(message), message["ts"])

    def messages(self, channel: str) -> list[dict[str, Any]]:
        """Every message of a channel, replies included, oldest first."""
        with self._lock:
            return sorted(self.history[channel].values(), key=lambda m: ts_key(m["ts"]))

    def add_reaction(self, channel: str, ts: str, name: str, user: str = LEARNER) -> None:
        with self._lock:
            reactions = self.history[channel][ts].setdefault("reactions", [])
            reaction = next((r for r in reactions if r["name"] == name), None)
            if reaction is None:
                reaction = {"name": name, "users": [], "count": 0}
                reactions.append(reaction)
            if user not in reaction["users"]:
                reaction["users"].append(user)
                reaction["count"] += 1

    def new_ts(self) -> str:
        """A fresh, strictly increasing message timestamp near the current time."""
        with self._lock:
            now = time.time()
            candidate = (int(now), int(now % 1 * 1_000_000))
            if candidate <= self._last_ts:
                seconds, micros = self._last_ts
                candidate = (seconds + (micros + 1) // 1_000_000, (micros + 1) % 1_000_000)
            self._last_ts = candidate
            return f"{candidate[0]}.{candidate[1]:06d}"

    def _store(self, channel: str, message: dict[str, Any], ts: str | None) -> dict[str, Any]:
        with self._lock:
            if channel not in self.channels:
                raise KeyError(f"no channel {channel}: add_channel() it first")
            message["ts"] = ts or self.new_ts()
            self._last_ts = max(self._last_ts, ts_key(message["ts"]))
            self.history[channel][message["ts"]] = message
            self._refresh_thread(channel, message.get("thread_ts") or message["ts"])
            return message

    def _refresh_thread(self, channel: str, root_ts: str) -> None:
        """Keep a root's reply_count, reply_users and latest_reply true, as Slack does."""
        root = self.history[channel].get(root_ts)
        replies = [m for m in self._thread(channel, root_ts) if m["ts"] != root_ts]
        if root is None or not replies:
            return
        users = list(dict.fromkeys(m.get("user") for m in replies if m.get("user")))
        root.update(
            thread_ts=root_ts,
            reply_count=len(replies),
            reply_users=users,
            reply_users_count=len(users),
            latest_reply=replies[-1]["ts"],
        )

    def _thread(self, channel: str, root_ts: str) -> list[dict[str, Any]]:
        """A thread, root first: the root and every message whose thread_ts is the root's."""
        with self._lock:
            thread = [
                m
                for m in self.history[channel].values()
                if m["ts"] == root_ts or m.get("thread_ts") == root_ts
            ]
        return sorted(thread, key=lambda m: ts_key(m["ts"]))

    # -- scripting and assertions -------------------------------------------------------

    def queue(self, method: str, *replies: Reply | dict[str, Any]) -> None:
        """The next calls of ``method`` get these answers, in order, then normal service resumes."""
        with self._lock:
            for reply in replies:
                self._queues[method].append(reply if isinstance(reply, Reply) else Reply(reply))

    def on(self, method: str, handler: Callable[[Call], dict[str, Any] | Reply]) -> None:
        """Answer ``method`` with ``handler(call)`` from now on (also for methods not built in)."""
        with self._lock:
            self._handlers[method] = handler

    def rate_limit(self, method: str, calls: int, per: float) -> None:
        """Allow ``calls`` calls of ``method`` per ``per`` seconds; beyond that, 429."""
        with self._lock:
            self._limits[method] = (calls, per, deque())

    def calls_to(self, method: str) -> list[Call]:
        with self._lock:
            return [c for c in self.calls if c.method == method]

    def wait_for_call(self, method: str, count: int = 1, timeout: float = 5.0) -> Call:
        """Wait until ``method`` has been called ``count`` times; return the latest call."""
        deadline = time.monotonic() + timeout
        while len(self.calls_to(method)) < count:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{method} called {len(self.calls_to(method))}x, not {count}x")
            time.sleep(0.01)
        return self.calls_to(method)[-1]

    # -- request handling ----------------------------------------------------------------

    def _serve(self, request: _Handler) -> None:
        url = urlsplit(request.path)
        body = request.rfile.read(int(request.headers.get("Content-Length") or 0))
        if url.path.startswith("/api/"):
            call = Call(
                method=url.path.removeprefix("/api/"),
                params=_parse_params(url.query, body, request.headers.get("Content-Type", "")),
                headers={k.lower(): v for k, v in request.headers.items()},
                at=time.monotonic(),
            )
            reply = self._answer(call)
        elif url.path.startswith("/upload/v1/"):
            reply = self._receive_upload(url.path.removeprefix("/upload/v1/"), body)
        elif url.path.startswith("/hooks/"):
            with self._lock:
                self.hooks.append((url.path, json.loads(body or b"null")))
            reply = Reply({"ok": True})
        else:
            reply = Reply(b"not found", 404)
        _send(request, reply)

    def _answer(self, call: Call) -> Reply:
        with self._lock:
            self.calls.append(call)
            if self._queues[call.method]:
                return self._queues[call.method].popleft()
            try:
                self._check_rate(call.method)
                self._check_auth(call)
                handler = self._handlers.get(call.method) or self._builtin(call.method)
                result = handler(call)
            except SlackError as failed:
                return failed.reply
            except Exception:  # a bug in the fake or a test's handler: make it loud
                self.errors.append(traceback.format_exc())
                return Reply(self.errors[-1].encode(), 500)
            if isinstance(result, Reply):
                return result
            return Reply(json.loads(json.dumps({"ok": True, **result})))

    def _builtin(self, method: str) -> Callable[[Call], dict[str, Any]]:
        handler = getattr(self, "_" + method.replace(".", "_"), None)
        if handler is None or method not in METHOD_SCOPES:
            raise SlackError("unknown_method")
        return handler

    def _check_rate(self, method: str) -> None:
        if method not in self._limits:
            return
        allowed, per, seen = self._limits[method]
        now = time.monotonic()
        while seen and seen[0] <= now - per:
            seen.popleft()
        if len(seen) >= allowed:
            retry_after = max(1, math.ceil(seen[0] + per - now))
            raise _Ratelimited(retry_after)
        seen.append(now)

    def _check_auth(self, call: Call) -> None:
        token = call.token
        if not token:
            raise SlackError("not_authed")
        if token not in (self.bot_token, self.app_token):
            raise SlackError("invalid_auth")
        app_level = call.method == "apps.connections.open"
        if (token == self.app_token) != app_level:
            raise SlackError("not_allowed_token_type")
        scope = METHOD_SCOPES.get(call.method)
        if scope and "{kind}" not in scope and not app_level:
            self._require_scope(scope)

    def _require_scope(self, scope: str) -> None:
        if self.scopes is not None and scope not in self.scopes:
            provided = ",".join(sorted(self.scopes))
            raise SlackError("missing_scope", needed=scope, provided=provided)

    def _channel(
        self, call: Call, scope: str | None = None, *, param: str = "channel", member: bool = True
    ) -> dict[str, Any]:
        """The channel a call names, after Slack's checks: exists, scope granted, bot is in it."""
        channel = self.channels.get(call.params.get(param) or "")
        if channel is None:
            raise SlackError("channel_not_found")
        if scope:
            kind = "groups" if channel["is_private"] else "channels"
            self._require_scope(scope.format(kind=kind))
        if member and not channel["is_member"]:
            raise SlackError("not_in_channel")
        return channel

    def _message(self, channel: dict[str, Any], ts: str | None) -> dict[str, Any]:
        message = self.history[channel["id"]].get(ts or "")
        if message is None:
            raise SlackError("message_not_found")
        return message

    def _receive_upload(self, file_id: str, body: bytes) -> Reply:
        with self._lock:
            upload = self.uploads.get(file_id)
            if upload is None:
                return Reply(b"file not found", 404)
            upload.content = body
        return Reply(f"OK - {len(body)}".encode())

    # -- Web API methods (named after the method, dots as underscores) --------------------

    def _auth_test(self, call: Call) -> dict[str, Any]:
        return load("api/auth.test.json")

    def _apps_connections_open(self, call: Call) -> dict[str, Any]:
        return {"url": self.socket_mode.issue_url()}

    def _chat_postMessage(self, call: Call) -> dict[str, Any]:
        channel = self._channel(call)
        text = call.params.get("text")
        blocks = _check_blocks(call.params)
        if not text and not blocks and not call.params.get("attachments"):
            raise SlackError("no_text")
        message = {
            "type": "message",
            "subtype": "bot_message",
            "text": text or "",
            "user": BOT_USER_ID,
            "username": "Friction Ledger",
            "bot_id": BOT_ID,
            "app_id": APP_ID,
        }
        if blocks:
            message["blocks"] = blocks
        if call.params.get("thread_ts"):
            message["thread_ts"] = call.params["thread_ts"]
        message = self._store(channel["id"], message, None)
        return {"channel": channel["id"], "ts": message["ts"], "message": message}

    def _chat_postEphemeral(self, call: Call) -> dict[str, Any]:
        channel = self._channel(call)
        blocks = _check_blocks(call.params)
        if not call.params.get("user"):
            raise SlackError("user_not_in_channel")
        if not call.params.get("text") and not blocks:
            raise SlackError("no_text")
        ts = self.new_ts()
        self.ephemerals.append(
            {
                "channel": channel["id"],
                "user": call.params["user"],
                "text": call.params.get("text", ""),
                "blocks": blocks,
                "thread_ts": call.params.get("thread_ts"),
                "message_ts": ts,
            }
        )
        return {"message_ts": ts}

    def _chat_update(self, call: Call) -> dict[str, Any]:
        channel = self._channel(call)
        message = self._message(channel, call.params.get("ts"))
        if message.get("bot_id") != BOT_ID:
            raise SlackError("cant_update_message")
        blocks = _check_blocks(call.params)
        if "text" in call.params:
            message["text"] = call.params["text"]
        if blocks is not None:
            message["blocks"] = blocks
        message["edited"] = {"user": BOT_USER_ID, "ts": self.new_ts()}
        return {
            "channel": channel["id"],
            "ts": message["ts"],
            "text": message["text"],
            "message": message,
        }

    def _chat_getPermalink(self, call: Call) -> dict[str, Any]:
        channel = self._channel(call, member=False)
        message = self._message(channel, call.params.get("message_ts"))
        link = f"{self.workspace_url}archives/{channel['id']}/p{message['ts'].replace('.', '')}"
        root_ts = message.get("thread_ts")
        if root_ts and root_ts != message["ts"]:
            link += f"?thread_ts={root_ts}&cid={channel['id']}"
        return {"channel": channel["id"], "permalink": link}

    def _conversations_info(self, call: Call) -> dict[str, Any]:
        return {"channel": self._channel(call, "{kind}:read", member=False)}

    def _conversations_list(self, call: Call) -> dict[str, Any]:
        types = str(call.params.get("types") or "public_channel").split(",")
        kinds = {"public_channel": "channels", "private_channel": "groups"}
        for kind in (kinds[t] for t in types if t in kinds):
            self._require_scope(f"{kind}:read")
        channels = [
            c
            for c in self.channels.values()
            if ("private_channel" if c["is_private"] else "public_channel") in types
            and not (c["is_archived"] and _flag(call.params.get("exclude_archived")))
        ]
        try:
            start = int(base64.b64decode(call.params.get("cursor") or "MA=="))
        except (binascii.Error, ValueError) as bad:
            raise SlackError("invalid_cursor") from bad
        limit = int(call.params.get("limit") or 100)
        page = channels[start : start + limit]
        more = start + limit < len(channels)
        cursor = base64.b64encode(str(start + limit).encode()).decode() if more else ""
        return {"channels": page, "response_metadata": {"next_cursor": cursor}}

    def _conversations_history(self, call: Call) -> dict[str, Any]:
        channel = self._channel(call, "{kind}:history")
        top_level = [
            m
            for m in reversed(self.messages(channel["id"]))
            if m.get("thread_ts") in (None, m["ts"]) or m.get("subtype") == "thread_broadcast"
        ]
        page = self._page(top_level, call, default_limit=100, newest_first=True)
        return {**page, "pin_count": 0, "channel_actions_ts": None, "channel_actions_count": 0}

    def _conversations_replies(self, call: Call) -> dict[str, Any]:
        channel = self._channel(call, "{kind}:history")
        message = self.history[channel["id"]].get(call.params.get("ts") or "")
        if message is None:
            raise SlackError("thread_not_found")
        thread = self._thread(channel["id"], message.get("thread_ts") or message["ts"])
        return self._page(thread, call, default_limit=1000, newest_first=False)

    def _page(
        self, messages: list[dict[str, Any]], call: Call, *, default_limit: int, newest_first: bool
    ) -> dict[str, Any]:
        """Slack's history paging: oldest/latest window (inclusive or not), limit, cursor."""
        params = call.params
        inclusive = _flag(params.get("inclusive"))
        oldest = ts_key(str(params["oldest"])) if params.get("oldest") else None
        latest = ts_key(str(params["latest"])) if params.get("latest") else None

        def in_window(key: tuple[int, int]) -> bool:
            after = oldest is None or key > oldest or (inclusive and key == oldest)
            before = latest is None or key < latest or (inclusive and key == latest)
            return after and before

        selected = [m for m in messages if in_window(ts_key(m["ts"]))]
        if params.get("cursor"):
            start = _decode_cursor(params["cursor"])
            selected = [
                m
                for m in selected
                if (ts_key(m["ts"]) <= start if newest_first else ts_key(m["ts"]) >= start)
            ]
        limit = min(int(params.get("limit") or default_limit), self.history_page_max)
        page, rest = selected[:limit], selected[limit:]
        return {
            "messages": page,
            "has_more": bool(rest),
            "response_metadata": {"next_cursor": _encode_cursor(rest[0]["ts"]) if rest else ""},
        }

    def _reactions_get(self, call: Call) -> dict[str, Any]:
        channel = self._channel(call)
        message = self._message(channel, call.params.get("timestamp"))
        return {"type": "message", "channel": channel["id"], "message": message}

    def _usergroups_users_list(self, call: Call) -> dict[str, Any]:
        users = self.usergroups.get(call.params.get("usergroup") or "")
        if users is None:
            raise SlackError("no_such_subteam")
        return {"users": list(users)}

    def _views_open(self, call: Call) -> dict[str, Any]:
        if not call.params.get("trigger_id"):
            raise SlackError("invalid_arguments")
        view = self._new_view(call, expected_type="modal")
        return {"view": view}

    def _views_update(self, call: Call) -> dict[str, Any]:
        old = self.views.get(call.params.get("view_id") or "")
        if old is None:
            raise SlackError("not_found")
        if call.params.get("hash") and call.params["hash"] != old["hash"]:
            raise SlackError("hash_conflict")
        view = self._new_view(call, expected_type=old["type"], view_id=old["id"])
        return {"view": view}

    def _views_publish(self, call: Call) -> dict[str, Any]:
        user = call.params.get("user_id")
        if not user:
            raise SlackError("invalid_arguments")
        view = self._new_view(call, expected_type="home")
        self.home_views[user] = view
        return {"view": view}

    def _new_view(
        self, call: Call, *, expected_type: str, view_id: str | None = None
    ) -> dict[str, Any]:
        view = _json_param(call.params, "view")
        if not isinstance(view, dict) or view.get("type") != expected_type:
            raise SlackError("invalid_arguments")
        problem = _blocks_problem(view.get("blocks", []), MAX_VIEW_BLOCKS)
        if problem:
            raise SlackError("invalid_arguments", response_metadata={"messages": [problem]})
        stored = {
            **view,
            "id": view_id or f"V{next(self._ids):07d}",
            "team_id": TEAM_ID,
            "state": {"values": {}},
            "hash": f"{time.time():.6f}.{next(self._ids)}",
            "app_id": APP_ID,
            "bot_id": BOT_ID,
        }
        self.views[stored["id"]] = stored
        return stored

    def _files_getUploadURLExternal(self, call: Call) -> dict[str, Any]:
        filename, length = call.params.get("filename"), call.params.get("length")
        if not filename or not str(length or "").isdigit():
            raise SlackError("invalid_arguments")
        file_id = f"F{next(self._ids):07d}"
        self.uploads[file_id] = Upload(
            file_id, filename, int(length), alt_txt=call.params.get("alt_txt")
        )
        return {"upload_url": f"{self.base_url}/upload/v1/{file_id}", "file_id": file_id}

    def _files_completeUploadExternal(self, call: Call) -> dict[str, Any]:
        files = _json_param(call.params, "files") or []
        uploads = [self.uploads.get(f.get("id", "")) for f in files]
        if not files or any(u is None or u.content is None for u in uploads):
            raise SlackError("file_not_found")
        channel = self._channel(call, param="channel_id") if call.params.get("channel_id") else None
        shared = []
        for upload, item in zip(uploads, files, strict=True):
            assert upload is not None
            upload.title = item.get("title") or upload.filename
            shared.append({"id": upload.id, "name": upload.filename, "title": upload.title})
            if channel is not None:
                upload.channel = channel["id"]
                upload.thread_ts = call.params.get("thread_ts")
                upload.initial_comment = call.params.get("initial_comment")
        if channel is not None:
            message = {
                "type": "message",
                "subtype": "file_share",
                "text": call.params.get("initial_comment") or "",
                "user": BOT_USER_ID,
                "bot_id": BOT_ID,
                "files": shared,
            }
            if call.params.get("thread_ts"):
                message["thread_ts"] = call.params["thread_ts"]
            self._store(channel["id"], message, None)
        return {"files": shared}


class _Ratelimited(SlackError):
    def __init__(self, retry_after: int) -> None:
        Exception.__init__(self, "ratelimited")
        self.reply = ratelimited(retry_after)


class _Handler(BaseHTTPRequestHandler):
    server: ThreadingHTTPServer

    def do_POST(self) -> None:
        self.server.fake._serve(self)  # type: ignore[attr-defined]

    do_GET = do_POST

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the calls are recorded on the fake instead."""


def _parse_params(query: str, body: bytes, content_type: str) -> dict[str, Any]:
    params: dict[str, Any] = dict(parse_qsl(query))
    if content_type.startswith("application/json"):
        params.update(json.loads(body or b"{}"))
    elif body:
        params.update(parse_qsl(body.decode()))
    return params


def _send(request: BaseHTTPRequestHandler, reply: Reply) -> None:
    if reply.delay:
        time.sleep(reply.delay)
    is_json = isinstance(reply.body, dict)
    body = json.dumps(reply.body).encode() if is_json else reply.body
    request.send_response(reply.status)
    content_type = "application/json; charset=utf-8" if is_json else "text/plain; charset=utf-8"
    request.send_header("Content-Type", content_type)
    request.send_header("Content-Length", str(len(body)))
    for name, value in reply.headers.items():
        request.send_header(name, value)
    request.end_headers()
    request.wfile.write(body)


@pytest.fixture
def fake_slack() -> Iterator[FakeSlack]:
    """A running fake Slack (Web API + Socket Mode) granting exactly the manifest's bot scopes."""
    with FakeSlack(scopes=bot_scopes_from_manifest()) as fake:
        yield fake
    assert not fake.errors, "the fake Slack failed:\n" + "\n".join(fake.errors)
