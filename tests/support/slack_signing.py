"""Requests signed the way Slack signs them, to POST to the bot running in HTTP mode.

Slack puts ``X-Slack-Request-Timestamp`` and ``X-Slack-Signature`` (``v0=`` + hex HMAC-SHA256
of ``v0:{timestamp}:{raw body}`` with the app's signing secret) on every request, and the bot
refuses a bad signature or a timestamp more than five minutes old. This module builds the
bodies Slack sends (JSON for events, a form for slash commands, a ``payload=<json>`` form for
interactivity), signs them and posts them.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

FORM = "application/x-www-form-urlencoded"
JSON = "application/json"


def signed_headers(
    body: bytes, secret: str, *, timestamp: int | str | None = None, content_type: str = JSON
) -> dict[str, str]:
    """Headers Slack would send with this body; an old timestamp plays a replayed request, and
    a string one is signed as written (a forged header that still carries a valid signature)."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    base = b"v0:" + ts.encode() + b":" + body  # Slack signs the raw bytes, UTF-8 or not
    signature = "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    return {
        "Content-Type": content_type,
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": signature,
    }


def event_request(body: dict[str, Any]) -> tuple[bytes, str]:
    """Raw body and content type of an Events API delivery."""
    return json.dumps(body).encode(), JSON


def command_request(form: dict[str, str]) -> tuple[bytes, str]:
    """Raw body and content type of a slash command (Slack sends a form)."""
    return urlencode(form).encode(), FORM


def interaction_request(payload: dict[str, Any]) -> tuple[bytes, str]:
    """Raw body and content type of an interaction: one form field ``payload`` holding JSON."""
    return urlencode({"payload": json.dumps(payload)}).encode(), FORM


@dataclass(frozen=True)
class Response:
    """What the app answered; ``status`` is kept for 4xx/5xx too instead of raising."""

    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def text(self) -> str:
        return self.body.decode()


class SlackSender:
    """Posts signed Slack requests to one app URL (Bolt serves all of them at ``/slack/events``).

    ``retry_num`` adds Slack's ``X-Slack-Retry-Num`` / ``X-Slack-Retry-Reason`` headers, as
    on a redelivery; ``timestamp`` and ``secret`` let a test forge a stale or a wrong signature.
    """

    def __init__(self, url: str, signing_secret: str, timeout: float = 10.0) -> None:
        self.url = url
        self.signing_secret = signing_secret
        self.timeout = timeout

    def event(self, body: dict[str, Any], **options: Any) -> Response:
        return self.post(*event_request(body), **options)

    def command(self, form: dict[str, str], **options: Any) -> Response:
        return self.post(*command_request(form), **options)

    def interaction(self, payload: dict[str, Any], **options: Any) -> Response:
        return self.post(*interaction_request(payload), **options)

    def post(
        self,
        body: bytes,
        content_type: str,
        *,
        timestamp: int | None = None,
        secret: str | None = None,
        retry_num: int | None = None,
        retry_reason: str = "http_timeout",
    ) -> Response:
        headers = signed_headers(
            body, secret or self.signing_secret, timestamp=timestamp, content_type=content_type
        )
        if retry_num is not None:
            headers["X-Slack-Retry-Num"] = str(retry_num)
            headers["X-Slack-Retry-Reason"] = retry_reason
        return post_raw(self.url, body, headers, self.timeout)


def post_raw(url: str, body: bytes, headers: dict[str, str], timeout: float = 10.0) -> Response:
    """POST `body` with exactly `headers` (an attacker's request: anything goes)."""
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            return Response(answer.status, dict(answer.headers), answer.read())
    except urllib.error.HTTPError as refused:
        return Response(refused.code, dict(refused.headers), refused.read())
