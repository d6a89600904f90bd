"""Slack message links ("Copy link"), read and written.

A link is `https://<workspace>.slack.com/archives/<channel>/p<ts without the dot>`; a reply's
adds `?thread_ts=<root ts>&cid=<channel>`. Slack may wrap a pasted link in `<...>`, with a
`|label` when it was formatted.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

from slack_sdk import WebClient

_PATH = re.compile(r"^/archives/([CGD][A-Z0-9]{2,})/p(\d{7,})$")
_TS = re.compile(r"^\d+\.\d{6}$")


class LinkError(ValueError):
    """Not a Slack message link; the message says what a link looks like."""


@dataclass(frozen=True, slots=True)
class MessageRef:
    """A message (channel, ts) and, for a reply, the ts of its thread's root."""

    channel_id: str
    ts: str
    thread_ts: str | None = None

    @property
    def root_ts(self) -> str:
        return self.thread_ts or self.ts


def parse_message_link(text: str) -> MessageRef:
    """The message a link names, or LinkError saying why `text` is not one."""
    link = text.strip().removeprefix("<").removesuffix(">").split("|", 1)[0]
    url = urlsplit(link)
    host = url.hostname or ""
    if url.scheme not in ("http", "https") or not (
        host == "slack.com" or host.endswith(".slack.com")
    ):
        raise LinkError(
            f"{text!r} is not a Slack message link: use the message's ⋯ menu → Copy link "
            "(https://<workspace>.slack.com/archives/C…/p…)"
        )
    match = _PATH.match(url.path)
    if match is None:
        raise LinkError(
            f"{link} does not point at a message: a message link ends in /archives/C…/p<digits>"
        )
    channel, digits = match.groups()
    ts = f"{digits[:-6]}.{digits[-6:]}"
    thread_ts = parse_qs(url.query).get("thread_ts", [None])[0]
    if thread_ts is not None and not _TS.match(thread_ts):
        raise LinkError(f"{link} has a malformed thread_ts {thread_ts!r}")
    return MessageRef(channel, ts, None if thread_ts == ts else thread_ts)


def message_link(workspace_url: str, channel_id: str, ts: str) -> str:
    """The link Slack's "Copy link" gives for a top-level message."""
    return f"{workspace_url.rstrip('/')}/archives/{channel_id}/p{ts.replace('.', '')}"


class WorkspaceUrl:
    """The workspace's address, for links: configured, else asked of Slack (`auth.test`) once."""

    def __init__(self, configured: str | None = None) -> None:
        self._url = configured
        self._lock = threading.Lock()

    def __call__(self, client: WebClient) -> str:
        with self._lock:
            if self._url is None:
                self._url = client.auth_test()["url"]
            return self._url
