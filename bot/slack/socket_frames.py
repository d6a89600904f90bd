"""Socket Mode frames that cannot be read: one WARNING line and an ack, never a traceback.

slack_sdk parses each frame with `json.loads` in its message thread: a truncated frame, or one
nested too deep, raises there and is logged at ERROR with a traceback, and is never acked, so
Slack sends it again. `screen_frames` puts a queue in front of that parse which reads each
frame once more, safely: a malformed one is logged without its text and acked when its
envelope id can be read; the others go on unchanged.
"""

from __future__ import annotations

import json
import logging
import re
from queue import Queue
from typing import Any

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


class ScreenedQueue(Queue):
    """The client's message queue, refusing malformed frames as they arrive."""

    def __init__(self, client: BaseSocketModeClient) -> None:
        super().__init__()
        self.client = client

    def put(self, item: Any, block: bool = True, timeout: float | None = None) -> None:
        why = problem(item) if isinstance(item, str) else None
        if why is None:
            super().put(item, block, timeout)
            return
        found = ENVELOPE_ID.search(item)
        log_event(
            log,
            "socket_mode.malformed",
            logging.WARNING,
            reason=why,
            bytes=len(item),
            envelope_id=found and found.group(1),
        )
        if found:  # acked: Slack would only send the same bytes again
            self.client.send_socket_mode_response(SocketModeResponse(envelope_id=found.group(1)))


def screen_frames(client: BaseSocketModeClient) -> None:
    """Put the screen in front of `client`'s parse; call before it connects."""
    replaced = client.message_queue
    client.message_queue = ScreenedQueue(client)
    # slack_sdk's message thread is already waiting (up to a second) on the queue replaced:
    # a None, which it skips, sends it to the new queue now, not after the first envelopes.
    replaced.put(None)
