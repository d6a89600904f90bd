"""One shape for a captured message, whatever its source: live event, history page or export file.

Slack sends the same message dict in all three places (an event's `event`, a
`conversations.history` item, an export day file), so one function turns any of them into a
`CapturedMessage`, and everything downstream sees one shape.
"""

from __future__ import annotations

from dataclasses import dataclass

MAX_TEXT = (
    40_000  # Slack truncates message text at 40,000 characters; anything longer is not Slack's.
)

# Subtypes that carry what a learner wrote. Everything else (joins, leaves, topic changes,
# bots, pins, tombstones) is not friction and is skipped.
CONTENT_SUBTYPES = frozenset({None, "thread_broadcast", "file_share", "me_message"})


@dataclass(frozen=True, slots=True)
class CapturedMessage:
    """A Slack message as the ledger needs it: where, when, who, what, and its thread."""

    team_id: str
    channel_id: str
    ts: str
    text: str
    user_id: str | None = None
    thread_ts: str | None = None
    subtype: str | None = None
    edited_ts: str | None = None
    source: str = "event"
    channel_name: str | None = None
    resolution_reactions: tuple[str, ...] = ()
    latest_reply: str | None = None

    @property
    def is_reply(self) -> bool:
        return self.thread_ts is not None and self.thread_ts != self.ts

    @property
    def root_ts(self) -> str:
        return self.thread_ts or self.ts


def skip_reason(message: dict) -> str | None:
    """Why a Slack message dict is not captured, or None when it should be."""
    subtype = message.get("subtype")
    if subtype not in CONTENT_SUBTYPES:
        return f"subtype {subtype}"
    if message.get("bot_id") or message.get("bot_profile"):
        return "posted by a bot"
    if not message.get("ts"):
        return "no ts"
    if not isinstance(message.get("text", ""), str):
        return "text is not a string"
    return None


# Control characters below space, except newline and tab: deleted by `str.translate`.
_CONTROL = dict.fromkeys(c for c in range(32) if chr(c) not in "\n\t")


def clean_text(text: str) -> str:
    """Text safe to store: no NUL or other control bytes, at most Slack's own size limit."""
    return text.translate(_CONTROL)[:MAX_TEXT]


def capture(
    message: dict,
    *,
    team_id: str,
    channel_id: str,
    source: str,
    resolution_emoji: frozenset[str] = frozenset(),
    channel_name: str | None = None,
) -> CapturedMessage:
    """Turn a Slack message dict into a CapturedMessage (call `skip_reason` first)."""
    reactions = tuple(
        r["name"] for r in message.get("reactions") or () if r.get("name") in resolution_emoji
    )
    return CapturedMessage(
        team_id=team_id or message.get("team") or "",
        channel_id=channel_id,
        ts=str(message["ts"]),
        text=clean_text(message.get("text") or ""),
        user_id=message.get("user"),
        thread_ts=message.get("thread_ts"),
        subtype=message.get("subtype"),
        edited_ts=(message.get("edited") or {}).get("ts"),
        source=source,
        channel_name=channel_name,
        resolution_reactions=reactions,
        latest_reply=message.get("latest_reply"),
    )
