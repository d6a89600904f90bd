"""Socket Mode frames that cannot be read: one WARNING line and an ack, never a traceback.

slack_sdk parses each frame with `json.loads` in its message thread: a truncated frame, or one
nested too deep, raises there and is logged at ERROR with a traceback, and is never acked, so
Slack sends it again. Our client (`socket_client.WatchedSocketModeClient.enqueue_message`)
reads each frame once more, safely, before it is queued: a malformed one is `refuse`d, logged
without its text and acked when its envelope id can be read; the others go on unchanged.
"""

from __future__ import annotations

import json
import logging
import re

from slack_sdk.socket_mode.client import BaseSocketModeClient
from slack_sdk.socket_mode.response import SocketModeResponse

from bot.logs import log_event
from bot.slack.payloads import shape_problem

log = logging.getLogger(__name__)

ENVELOPE_ID = re.compile(r'"envelope_id"\s*:\s*"([A-Za-z0-9_.-]{1,100})"')


def problem(frame: str) -> str | None:
    """Why slack_sdk or Bolt could not read `frame`, or None when they can.

    slack_sdk parses only frames that start with `{` (others are read as an empty message and
    ignored), and hands an envelope's `payload` to Bolt, which needs an object shaped as
    Slack sends it (`payloads.py`).
    """
    if not frame.startswith("{"):
        return None
    try:
        message = json.loads(frame)
    except RecursionError:
        return "JSON nested too deep"
    except ValueError as exc:
        return f"not JSON: {getattr(exc, 'msg', 'malformed')}"
    payload = message.get("payload")
    if payload is None:
        return None
    if not isinstance(payload, dict):
        return "payload is not a JSON object"
    return shape_problem(payload)


def refuse(client: BaseSocketModeClient, frame: str, why: str) -> None:
    """One WARNING line for a frame nobody can read, and its ack when its id can be read:
    Slack would only send the same bytes again."""
    found = ENVELOPE_ID.search(frame)
    log_event(
        log,
        "socket_mode.malformed",
        logging.WARNING,
        reason=why,
        bytes=len(frame),
        envelope_id=found and found.group(1),
    )
    if found:
        client.send_socket_mode_response(SocketModeResponse(envelope_id=found.group(1)))
