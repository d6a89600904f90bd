"""Slack payloads shaped like Slack's own, for the fakes and the signed requests.

The samples are copied from ``shared/slack-samples`` into ``tests/data/slack`` so that tests
never read outside the repository. Every loader returns a fresh copy: tests may change it freely.
"""

from __future__ import annotations

import copy
import itertools
import json
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

TESTS = Path(__file__).resolve().parents[1]
SAMPLES = TESTS / "data" / "slack"
EXPORT = SAMPLES / "export"

# The ids the samples use, so tests and fakes agree on one consistent workspace.
TEAM_ID = "T0123ABCD"
APP_ID = "A0123APP"
BOT_USER_ID = "U0123BOT"
BOT_ID = "B0123BOT"
HELP_CHANNEL = "C0123HELP"
LEADS_CHANNEL = "C0456LEADS"
LEARNER = "U0456LRNR"
TA = "U0789TA01"
LEAD = "U0789LEAD"

_event_ids = itertools.count(1)


def sample_path(name: str) -> Path:
    """Path of a sample such as ``"api/auth.test.json"``."""
    path = SAMPLES / name
    if not path.is_file():
        raise FileNotFoundError(f"no Slack sample {name!r} in {SAMPLES}")
    return path


@cache
def _read(name: str) -> str:
    return sample_path(name).read_text(encoding="utf-8")


def load(name: str) -> Any:
    """A fresh copy of a JSON sample, e.g. ``load("events/message.json")``."""
    return copy.deepcopy(json.loads(_read(name)))


def event_body(name: str, **event_fields: Any) -> dict[str, Any]:
    """An Events API body from ``events/<name>.json``, its inner event updated with fields."""
    body = load(f"events/{name}.json")
    body["event"].update(event_fields)
    return body


def wrap_event(event: dict[str, Any], event_id: str | None = None) -> dict[str, Any]:
    """Wrap an inner event in the ``event_callback`` envelope Slack POSTs to ``/slack/events``.

    Each call gets a new ``event_id`` unless one is given: Slack keeps the id across retries,
    so passing the same id twice is how a test plays a redelivery.
    """
    body = load("events/message.json")
    body["event"] = event
    body["event_id"] = event_id or f"Ev{next(_event_ids):08d}"
    body["event_time"] = int(float(event.get("event_ts") or event.get("ts") or 0))
    return body


def message_event(
    text: str,
    ts: str,
    *,
    channel: str = HELP_CHANNEL,
    user: str = LEARNER,
    thread_ts: str | None = None,
    **fields: Any,
) -> dict[str, Any]:
    """A plain ``message`` event as Slack sends it for a user's post (or reply, with thread_ts)."""
    event = {
        "type": "message",
        "text": text,
        "user": user,
        "ts": ts,
        "team": TEAM_ID,
        "channel": channel,
        "event_ts": ts,
        "channel_type": "channel",
    }
    if thread_ts is not None:
        event["thread_ts"] = thread_ts
    event.update(fields)
    return event


def slash_command(text: str = "help", **fields: str) -> dict[str, str]:
    """The form fields of a ``/friction`` command, from the sample, with text and fields set."""
    form = dict(parse_qsl(_read("interactivity/slash_command.form.txt").strip()))
    form["text"] = text
    form.update(fields)
    return form


def interaction(name: str, **fields: Any) -> dict[str, Any]:
    """An interactivity payload (``message_action``, ``view_submission``, ``block_actions``)."""
    payload = load(f"interactivity/{name}.json")
    payload.update(fields)
    return payload
