"""`friction import`: a Slack export (folder or zip) into the ledger, through the one ingest path.

Messages stream day file by day file into `Ingestor.add_read`, so an export of any size imports
in flat memory, and importing the same export again changes nothing. Past its first batch, an
import redacts and classifies in a worker process while the main process writes.
"""

from __future__ import annotations

import gc
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlmodel import Session

from bot.context import Context
from bot.history.export_reader import DayFile, ExportReader
from bot.history.progress import progress_bar
from bot.ingest.reading import read_export
from storage.queries import Window, incident_count


@dataclass(frozen=True, slots=True)
class ImportResult:
    """What an import did, for its closing summary."""

    channels: list[str]
    files: int
    outcomes: Counter[str]  # stored / updated / unchanged
    skipped: Counter[str]  # reason -> messages not captured
    problems: list[str]  # one line per day file that could not be read
    incidents: int  # incidents in the imported channels afterwards
    new_incidents: int

    @property
    def messages(self) -> int:
        return sum(self.outcomes.values())


def plan(reader: ExportReader) -> list[DayFile]:
    """The day files to read; a `--channel` the export does not hold is an error, not a no-op."""
    unknown = reader.unknown_channels()
    if unknown:
        names = ", ".join(sorted(c["name"] for c in reader.channel_list()))
        raise ValueError(
            f"{reader.root} has no channel {', '.join(unknown)} (it holds: {names or 'none'})"
        )
    return reader.day_files()


def import_export(
    context: Context,
    path: Path,
    channels: list[str] | None = None,
) -> ImportResult:
    """Import the export at `path` (all its channels, or those named by name or id)."""
    emoji = frozenset(context.settings.file.resolution.emoji)
    with ExportReader(path, emoji, channels) as reader:
        days = plan(reader)
        team_id = reader.team_id()
        ids = tuple(sorted({d.channel_id for d in days}))
        before = _incidents(context, ids)

        with progress_bar(f"Importing {path.name}", total=len(days)) as advance:
            classifier = context.ingestor.classifier
            pairs = read_export(classifier, reader, days, team_id, advance)
            with _fewer_collections():
                outcomes = context.ingestor.add_read(pairs)
        after = _incidents(context, ids)
        return ImportResult(
            channels=sorted({d.channel_name for d in days}),
            files=len(days),
            outcomes=outcomes,
            skipped=reader.skipped,
            problems=reader.problems,
            incidents=after,
            new_incidents=max(0, after - before),
        )


@contextmanager
def _fewer_collections(threshold: int = 10_000) -> Iterator[None]:
    """Run the garbage collector less often while a long import runs.

    A batch's rows (dozens of container objects a message) live until the batch commits, so
    with Python's default threshold of 700 the collector ran 1,400 times per 100,000 messages
    and its full passes walked everything the process had loaded (classifier, SQLAlchemy): 15 %
    of the writer's CPU. Objects frozen before the import are never walked again, and the
    collector still runs, about one-fourteenth as often.
    """
    before = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(threshold, *before[1:])
    try:
        yield
    finally:
        gc.set_threshold(*before)
        gc.unfreeze()


def _incidents(context: Context, channel_ids: tuple[str, ...]) -> int:
    if not channel_ids:
        return 0
    with Session(context.engine) as session:
        return incident_count(session, Window(channels=channel_ids))
