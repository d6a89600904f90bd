"""Reading a Slack workspace export: `channels.json`, `users.json`, `<channel>/<YYYY-MM-DD>.json`.

The export may be the folder or the `.zip` Slack hands out. Day files are read one at a time,
in date order, so memory stays flat however large the export. A day file that cannot be read
(truncated download, corrupt zip member, not JSON) is reported by name and skipped; the rest
still reads.
"""

from __future__ import annotations

import json
import logging
import re
import zipfile
import zlib
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from bot.ingest.capture import CapturedMessage, capture, skip_reason

log = logging.getLogger(__name__)

DAY_FILE = re.compile(r"\d{4}-\d{2}-\d{2}\.json")
_TS = re.compile(r"\d+\.\d+")


class Entry(Protocol):
    """What `pathlib.Path` and `zipfile.Path` share, so a folder and a zip read alike."""

    name: str

    def __truediv__(self, other: str) -> Entry: ...
    def iterdir(self) -> Iterator[Entry]: ...
    def is_dir(self) -> bool: ...
    def is_file(self) -> bool: ...
    def read_bytes(self) -> bytes: ...


@dataclass(frozen=True, slots=True)
class DayFile:
    """One `<channel>/<day>.json` of a channel chosen for reading."""

    channel_id: str
    channel_name: str
    entry: Entry

    @property
    def name(self) -> str:
        return f"{self.channel_name}/{self.entry.name}"


@dataclass
class ExportReader:
    """Streams the messages of an export (folder or zip) as CapturedMessages.

    `skipped` counts the messages not captured, by reason; `problems` names each file that
    could not be read and why.
    """

    root: Path
    resolution_emoji: frozenset[str]
    channels: list[str] | None = None
    source: str = "export"
    skipped: Counter[str] = field(default_factory=Counter)
    problems: list[str] = field(default_factory=list)
    _top: Entry | None = field(default=None, init=False, repr=False)
    _zip: zipfile.ZipFile | None = field(default=None, init=False, repr=False)

    def top(self) -> Entry:
        """The folder holding `channels.json`: the export folder, or inside the zip."""
        if self._top is None:
            self._top = self._open()
        return self._top

    def _open(self) -> Entry:
        if self.root.is_dir():
            return self.root
        if not self.root.exists():
            raise ValueError(f"{self.root}: no such export folder or zip file")
        try:
            self._zip = zipfile.ZipFile(self.root)
        except (zipfile.BadZipFile, OSError) as exc:
            raise ValueError(
                f"{self.root}: not a readable zip file ({exc}); was the download cut short?"
            ) from None
        top = zipfile.Path(self._zip)
        if not (top / "channels.json").is_file():
            # Some tools zip the export folder itself: look one level down.
            inner = [d for d in top.iterdir() if d.is_dir() and (d / "channels.json").is_file()]
            if len(inner) == 1:
                return inner[0]
        return top

    def close(self) -> None:
        if self._zip is not None:
            self._zip.close()

    def __enter__(self) -> ExportReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def team_id(self) -> str:
        """The workspace's team id, from `users.json` (exports do not name it elsewhere)."""
        try:
            users = json.loads((self.top() / "users.json").read_bytes())
        except (OSError, ValueError, KeyError, zipfile.BadZipFile):
            return ""
        return next((u["team_id"] for u in users if u.get("team_id")), "")

    def channel_list(self) -> list[dict]:
        path = self.top() / "channels.json"
        try:
            channels = json.loads(path.read_bytes())
        except (OSError, KeyError) as exc:
            raise ValueError(
                f"{self.root}: cannot read the export's channel list channels.json ({exc})"
            ) from None
        except (ValueError, zipfile.BadZipFile) as exc:
            raise ValueError(f"{self.root}: channels.json is not valid JSON ({exc})") from None
        if not isinstance(channels, list):
            raise ValueError(f"{self.root}: channels.json is not a list of channels")
        return [c for c in channels if isinstance(c, dict) and c.get("name") and c.get("id")]

    def unknown_channels(self) -> list[str]:
        """The `channels` asked for that the export does not hold (by name or id)."""
        known = {key for c in self.channel_list() for key in (c["name"], c["id"])}
        return [c for c in self.channels or () if c.lstrip("#") not in known]

    def day_files(self) -> list[DayFile]:
        """Every day file of the chosen channels, channel by channel, in date order."""
        wanted = {c.lstrip("#") for c in self.channels or ()}
        files = []
        for channel in self.channel_list():
            name, channel_id = channel["name"], channel["id"]
            if wanted and name not in wanted and channel_id not in wanted:
                continue
            folder = self.top() / name
            if not folder.is_dir():
                continue
            days = [e for e in folder.iterdir() if DAY_FILE.fullmatch(e.name)]
            files += [DayFile(channel_id, name, e) for e in sorted(days, key=lambda e: e.name)]
        return files

    def __iter__(self) -> Iterator[CapturedMessage]:
        team_id = self.team_id()
        for day in self.day_files():
            yield from self.read_day(day, team_id)

    def read_day(self, day: DayFile, team_id: str) -> Iterator[CapturedMessage]:
        """The captured messages of one day file; an unreadable file becomes a problem."""
        messages = self._load(day)
        for message in messages:
            reason = skip_reason(message) if isinstance(message, dict) else "not a message"
            if reason is None and not _TS.fullmatch(str(message["ts"])):
                reason = "malformed ts"
            if reason:
                self.skipped[reason] += 1
                continue
            yield capture(
                message,
                team_id=team_id,
                channel_id=day.channel_id,
                source=self.source,
                resolution_emoji=self.resolution_emoji,
                channel_name=day.channel_name,
            )

    def _load(self, day: DayFile) -> list:
        try:
            messages = json.loads(day.entry.read_bytes())
        except (OSError, EOFError, zipfile.BadZipFile, zlib.error) as exc:
            return self._problem(day, f"cannot be read ({exc})")
        except UnicodeDecodeError:
            return self._problem(day, "is not UTF-8 text")
        except ValueError as exc:
            return self._problem(day, f"is not valid JSON, truncated or corrupt ({exc})")
        if not isinstance(messages, list):
            return self._problem(day, "is not a list of messages")
        return messages

    def _problem(self, day: DayFile, why: str) -> list:
        self.problems.append(f"{day.name} {why}")
        self.skipped["unreadable file"] += 1
        log.warning("export file skipped", extra={"file": day.name, "why": why})
        return []
