"""The HTTP edge in front of Bolt: refuse what is not Slack's before parsing a byte of it.

Order: the size (waitress refuses a body over `MAX_BODY` with 413 before reading it, see
`server.py`), then the signature over the raw bytes with a strict timestamp (401), then the
parse (400), then Bolt. Bolt alone converts the timestamp with `int()` and parses the body
before anything can catch it, so a forged `X-Slack-Request-Timestamp: abc`, a 5 MB non-JSON
body or a signed but truncated one answered 500 with an ERROR traceback: anyone who can reach
the URL could fill the log and show Slack 5xx answers. Each refusal here is one WARNING line,
never the body.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import logging
import time
from collections.abc import Callable, Iterable
from http import HTTPStatus
from typing import Any

from slack_bolt.request.internals import parse_body

from bot.logs import log_event
from bot.slack.payloads import shape_problem

log = logging.getLogger(__name__)

MAX_BODY = 1 << 20  # Slack's requests are a few KB; 1 MiB is far above any of them
TOLERANCE = 5 * 60  # seconds a signed request stays valid (Slack's own rule)
MAX_TIMESTAMP_DIGITS = 12

Wsgi = Callable[..., Iterable[bytes]]


class Refused(Exception):
    """A request answered at the edge: `status` and a reason safe to log (never the body)."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


def verify(secret: str, timestamp: str, signature: str, body: bytes, now: float) -> None:
    """Refused(401) unless `body` carries Slack's signature and a timestamp within 5 minutes.

    The timestamp must be plain ASCII digits (`int()` would also take " 17", "1_7" or
    Arabic-Indic digits); the comparison is over bytes, as a forged header may be any Latin-1.
    """
    if not (timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= MAX_TIMESTAMP_DIGITS):
        raise Refused(401, "missing or non-numeric timestamp")
    if abs(now - int(timestamp)) > TOLERANCE:
        raise Refused(401, "timestamp older than 5 minutes")
    base = b"v0:" + timestamp.encode() + b":" + body  # over the bytes: they need not be UTF-8
    expected = b"v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest().encode()
    given = signature.encode("latin-1", "replace")
    if not hmac.compare_digest(expected, given):
        raise Refused(401, "bad signature")


def body_problem(body: bytes, content_type: str | None) -> str | None:
    """Why Bolt could not read `body` or it is not shaped as Slack sends it, or None.

    A check only: Bolt parses the body again from the bytes, so the parse here is thrown away.
    """
    try:
        parsed = parse_body(body.decode("utf-8"), content_type)
    except UnicodeDecodeError:
        return "body is not UTF-8"
    except RecursionError:
        return "JSON nested too deep"
    except ValueError as exc:  # json.JSONDecodeError included
        return f"body is not JSON: {getattr(exc, 'msg', 'malformed')}"
    if not isinstance(parsed, dict):
        return "body is not a JSON object"
    return shape_problem(parsed)


def guarded(slack: Wsgi, secret: str, path: str) -> Wsgi:
    """`slack` (Bolt's WSGI handler) behind the edge's checks for POSTs to `path`."""

    def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("PATH_INFO") != path or environ.get("REQUEST_METHOD") != "POST":
            return slack(environ, start_response)
        body = environ["wsgi.input"].read(_length(environ))
        try:
            timestamp = environ.get("HTTP_X_SLACK_REQUEST_TIMESTAMP", "")
            signature = environ.get("HTTP_X_SLACK_SIGNATURE", "")
            verify(secret, timestamp, signature, body, time.time())
            why = body_problem(body, environ.get("CONTENT_TYPE"))
            if why is not None:
                raise Refused(400, why)
        except Refused as refused:
            event = "request.refused" if refused.status == 401 else "request.malformed"
            log_event(
                log,
                event,
                logging.WARNING,
                status=refused.status,
                reason=refused.reason,
                bytes=len(body),
            )
            return _answer(start_response, refused.status, refused.reason)
        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))
        return slack(environ, start_response)

    return application


def _length(environ: dict[str, Any]) -> int:
    """The body's declared length, capped: waitress has already refused anything longer."""
    text = environ.get("CONTENT_LENGTH") or "0"
    return min(int(text), MAX_BODY) if text.isdigit() else 0


def _answer(start_response: Callable[..., Any], status: int, reason: str) -> list[bytes]:
    phrase = HTTPStatus(status).phrase
    body = f"{reason}\n".encode()
    start_response(
        f"{status} {phrase}",
        [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(body)))],
    )
    return [body]
