"""Reading a Slack workspace export: `channels.json`, `users.json`, `<channel>/<YYYY-MM-DD>.json`.

Day files are read one at a time, in date order, so memory stays flat however large the export.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from bot.capture import CapturedMessage, capture, skip_reason

log = logging.getLogger(__name__)


@dataclass
class ExportReader:
    """Streams the messages of an export folder as CapturedMessages, counting what it skips."""

    root: Path
    resolution_emoji: frozenset[str]
    channels: list[str] | None = None
    source: str = "export"
    skipped: Counter[str] = field(default_factory=Counter)
    problems: list[str] = field(default_factory=list)

    def team_id(self) -> str:
        """The workspace's team id, from `users.json` (exports do not name it elsewhere)."""
        try:
            users = json.loads((self.root / "users.json").read_text())
        except (OSError, ValueError):
            return ""
        return next((u["team_id"] for u in users if u.get("team_id")), "")

    def channel_list(self) -> list[dict]:
        path = self.root / "channels.json"
        try:
            return json.loads(path.read_text())
        except OSError as exc:
            raise ValueError(
                f"{path}: cannot read the export's channel list ({exc.strerror})"
            ) from None
        except ValueError as exc:
            raise ValueError(f"{path}: not valid JSON ({exc})") from None

    def __iter__(self) -> Iterator[CapturedMessage]:
        team_id = self.team_id()
        for channel in self.channel_list():
            name, channel_id = channel.get("name"), channel.get("id")
            if self.channels and name not in self.channels and channel_id not in self.channels:
                continue
            for day in sorted((self.root / name).glob("*.json")):
                yield from self._day(day, team_id, channel_id, name)

    def _day(
        self, path: Path, team_id: str, channel_id: str, name: str
    ) -> Iterator[CapturedMessage]:
        try:
            messages = json.loads(path.read_bytes())
        except (OSError, ValueError) as exc:
            self.problems.append(f"{path}: {exc}")
            self.skipped["unreadable file"] += 1
            return
        for message in messages if isinstance(messages, list) else ():
            reason = skip_reason(message) if isinstance(message, dict) else "not a message"
            if reason:
                self.skipped[reason] += 1
                continue
            yield capture(
                message,
                team_id=team_id,
                channel_id=channel_id,
                source=self.source,
                resolution_emoji=self.resolution_emoji,
                channel_name=name,
            )
