"""The one ingest path: every captured message, edit, delete and reaction is written here.

Live events, history pages, export files and the demo cohort all arrive as `CapturedMessage`s.
A message is upserted on (team, channel, ts), classified, and its thread's incident is then
re-derived from the stored rows, so ingesting the same thing twice, in any order, leaves the
ledger the same.
"""

from __future__ import annotations

import logging
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property
from itertools import groupby
from types import SimpleNamespace

from sqlalchemy import Engine
from sqlmodel import Session, func, select

from bot.ingest.capture import CapturedMessage
from bot.ingest.privacy import Pseudonymizer, redact
from bot.ingest.reading import Reading, chunks
from classifiers import (
    TRIAGE_THRESHOLD,
    Classification,
    Classifier,
    Context,
    in_context,
    incident_of,
    moved_to,
)
from storage.erasure import forgotten_among
from storage.ledger import (
    EXPLICIT_RESOLUTIONS,
    ChannelKey,
    channel_ids,
    find_channel,
    incident_rows,
    insert_rows,
    join_threads,
    message_row,
    message_rows,
    seconds_between,
    set_resolution,
    threads_rows,
)
from storage.models import Channel, Incident, Message
from storage.response_queries import LEARNER, TA

log = logging.getLogger(__name__)

DEFAULT_RESOLUTION_EMOJI = frozenset({"white_check_mark", "heavy_check_mark"})


def ts_time(ts: str) -> datetime:
    """The moment a Slack ts names."""
    return datetime.fromtimestamp(float(ts), UTC)


@dataclass(frozen=True, slots=True)
class Outcome:
    """What ingesting one thing did: `stored`, `updated`, `unchanged`, `deleted` or `ignored`."""

    action: str
    incident_id: int | None = None
    opened: bool = False  # the thread became an incident in this call


OpenedListener = Callable[[list[int]], None]


class Ingestor:
    """Writes captured Slack activity into the ledger."""

    def __init__(
        self,
        engine: Engine,
        pseudonymize: Pseudonymizer,
        *,
        triage_threshold: float = TRIAGE_THRESHOLD,
        new_classifier: Callable[[], Classifier] = Classifier,
        cohort_for: Callable[[str, str | None], str | None] = lambda _id, _name: None,
        staff: frozenset[str] = frozenset(),
    ) -> None:
        self.engine = engine
        self.pseudonymize = pseudonymize
        self.triage_threshold = triage_threshold
        self._new_classifier = new_classifier
        self.cohort_for = cohort_for
        self.staff = staff  # TAs' and leads' user hashes: their replies are a TA's response
        # Told, after commit, which incidents a call opened (the hints feature replies to them).
        self.opened_listeners: list[OpenedListener] = []

    @cached_property
    def classifier(self) -> Classifier:
        """Built on first use: compiling the rules takes about a quarter of a second that the
        commands which only read the ledger (report, digest, export...) need not pay."""
        return self._new_classifier()

    def add(self, msg: CapturedMessage) -> Outcome:
        """Ingest one message (new, edited or re-seen) in its own transaction."""
        with Session(self.engine, expire_on_commit=False) as session:
            [outcome] = self._add_batch(session, [msg])
            session.commit()
        self._announce([outcome])
        return outcome

    def add_many(self, messages: Iterable[CapturedMessage], batch: int = 1000) -> Counter[str]:
        """Ingest a stream of messages, `batch` per transaction; returns counts per outcome."""
        return self.add_read(((m, None) for m in messages), batch, per_commit=1)

    def add_read(
        self,
        pairs: Iterable[tuple[CapturedMessage, Reading | None]],
        batch: int = 1000,
        per_commit: int = 5000,
    ) -> Counter[str]:
        """`add_many` for messages already redacted and classified (None: not yet, done here),
        committed every `per_commit` messages: an import's commits cost it less that way
        (SQLite writes each changed index page once per commit, not once per batch)."""
        read = (([m for m, _ in c], [r for _, r in c]) for c in chunks(pairs, batch))
        return self._write(read, per_commit)

    def _write(
        self,
        read: Iterable[tuple[list[CapturedMessage], list[Reading | None] | None]],
        per_commit: int = 1,
    ) -> Counter[str]:
        """Each batch (with its readings, if any), committed once at least `per_commit`
        messages are waiting (1: each batch in its own transaction); counts per outcome.
        Listeners hear of the incidents opened after each commit."""
        counts: Counter[str] = Counter()
        known: dict[ChannelKey, int] = {}  # channels already looked up, see `_channel_ids`
        waiting: list[Outcome] = []
        with Session(self.engine, expire_on_commit=False) as session:
            for chunk, readings in read:
                waiting += self._add_batch(session, chunk, readings, known)
                session.expunge_all()  # memory stays flat however long the stream
                if len(waiting) >= per_commit:
                    self._commit(session, waiting, counts)
            self._commit(session, waiting, counts)
        return counts

    def _commit(self, session: Session, outcomes: list[Outcome], counts: Counter[str]) -> None:
        """Commit, count and announce `outcomes`, then empty the list for the next ones."""
        session.commit()
        counts.update(outcome.action for outcome in outcomes)
        self._announce(outcomes)
        outcomes.clear()

    def delete(self, team_id: str, channel_id: str, ts: str) -> Outcome:
        """Remove a message deleted in Slack; its incident goes with it if it was the root."""
        with Session(self.engine, expire_on_commit=False) as session:
            channel = find_channel(session, team_id, channel_id)
            row = channel and message_row(session, channel.id, ts)
            if not row:
                return Outcome("ignored")
            self.remove(session, [row])
            session.commit()
        return Outcome("deleted")

    def remove(self, session: Session, rows: list[Message], batch: int = 1000) -> int:
        """Delete stored messages in the caller's transaction, as deleting each in Slack would.

        The incidents the rows were roots of go with them; every other thread they replied in
        is re-derived once, after all the deletes, read `batch` threads a query, and its
        incident goes if no report is left in it. Returns how many incidents went.
        """
        deleted = {(row.channel_pk, row.ts) for row in rows}
        gone = 0
        for chunk in chunks(deleted, batch):
            for rooted in incident_rows(session, _by_channel(chunk)).values():
                for incident in rooted.values():
                    session.delete(incident)
                    gone += 1
        for row in rows:
            session.delete(row)
        session.flush()
        for chunk in chunks({_thread_of(row) for row in rows} - deleted, batch):
            derived = self._rederive_threads(session, _by_channel(chunk))
            gone += sum(incident is None for incident in derived.values())
        return gone

    def react(
        self,
        team_id: str,
        channel_id: str,
        ts: str,
        emoji: str,
        added: bool,
        at: datetime,
        resolution_emoji: frozenset[str] = DEFAULT_RESOLUTION_EMOJI,
    ) -> Outcome:
        """A resolution emoji added to (or removed from) a thread root resolves (re-opens) it."""
        if emoji not in resolution_emoji:
            return Outcome("ignored")
        with Session(self.engine, expire_on_commit=False) as session:
            channel = find_channel(session, team_id, channel_id)
            row = channel and message_row(session, channel.id, ts)
            if not row or (row.thread_ts and row.thread_ts != row.ts):
                return Outcome("ignored")
            row.resolution_reaction = added
            row.resolution_reaction_at = at if added else None
            incident = self.refresh(session, channel, ts)
            session.commit()
            return Outcome("updated", incident.id if incident else None)

    def _announce(self, outcomes: list[Outcome]) -> None:
        opened = sorted({o.incident_id for o in outcomes if o.opened and o.incident_id})
        if opened:
            for listener in self.opened_listeners:
                listener(opened)

    def _add_batch(
        self,
        session: Session,
        batch: list[CapturedMessage],
        readings: list[Reading | None] | None = None,
        known: dict[ChannelKey, int] | None = None,
    ) -> list[Outcome]:
        """Store a batch of messages, then re-derive once each thread they changed.

        An incident is a function of its thread's stored rows, so deriving it after the batch
        gives what deriving after every message would, with a few queries per batch instead
        of several per message. The steps: dedupe (each message against its stored row),
        thread lookup (the changed threads, with the batch's new rows inserted into them),
        incident derivation (and resolution, in `_derive`). `readings`: the batch already
        redacted and classified (by a worker process), else that is done here. `known`:
        channel ids the caller's earlier batches looked up.
        """
        channels = self._channel_ids(session, batch, {} if known is None else known)
        keyed = [(channels[m.team_id, m.channel_id], m) for m in batch]
        by_pk: dict[int, list[CapturedMessage]] = defaultdict(list)
        for pk, msg in keyed:
            by_pk[pk].append(msg)
        actions, new = self._dedupe(session, keyed, by_pk, readings or [None] * len(batch))
        threads = self._changed_threads(session, keyed, actions, by_pk, new)
        incidents, opened = self._derive_incidents(session, by_pk, threads, new)
        return [
            Outcome(action, incidents.get((pk, msg.root_ts)), (pk, msg.root_ts) in opened)
            for (pk, msg), action in zip(keyed, actions, strict=True)
        ]

    def _dedupe(
        self,
        session: Session,
        keyed: list[tuple[int, CapturedMessage]],
        by_pk: dict[int, list[CapturedMessage]],
        readings: list[Reading | None],
    ) -> tuple[list[str], list[SimpleNamespace]]:
        """Step 1: each message against its stored row (by channel and ts), in one query.

        Returns each message's action (`stored`, `updated`, `unchanged`, or `ignored` for
        people who asked to be forgotten) and the new rows, not inserted yet.
        """
        # With the threads' roots: a reply is judged by who asked and what the root reported.
        wanted = {pk: [t for m in msgs for t in (m.ts, m.root_ts)] for pk, msgs in by_pk.items()}
        stored = message_rows(session, wanted)
        forgotten = forgotten_among(session, {self.pseudonymize(m.user_id) for _, m in keyed})
        new: list[SimpleNamespace] = []
        actions = [
            "ignored"
            if forgotten and self.pseudonymize(msg.user_id) in forgotten
            else self._store(msg, pk, stored[pk], new, reading)
            for (pk, msg), reading in zip(keyed, readings, strict=True)
        ]
        session.flush()
        return actions, new

    def _changed_threads(
        self,
        session: Session,
        keyed: list[tuple[int, CapturedMessage]],
        actions: list[str],
        by_pk: dict[int, list[CapturedMessage]],
        new: list[SimpleNamespace],
    ) -> dict[int, dict[str, list]]:
        """Step 2, thread lookup: the threads a stored or updated message changed (channel id
        -> root ts -> rows, root first), read in one query, the new rows inserted and joined."""
        changed = defaultdict(set)
        for (pk, msg), action in zip(keyed, actions, strict=True):
            if action in ("stored", "updated"):
                changed[pk].add(msg.root_ts)
        threads = threads_rows(session, {pk: changed[pk] for pk in by_pk})
        if new:
            self._insert(session, new, threads)
        return threads

    def _derive_incidents(
        self,
        session: Session,
        by_pk: dict[int, list[CapturedMessage]],
        threads: dict[int, dict[str, list]],
        new: list[SimpleNamespace],
    ) -> tuple[dict[tuple[int, str], int], set[tuple[int, str]]]:
        """Step 3, incident derivation: each changed thread's incident from its rows, the new
        ones inserted in one statement. Returns incident ids by (channel id, root ts) for the
        batch's threads, and the threads that opened an incident."""
        inserted: dict[int, set[str]] = defaultdict(set)  # no incident can name these roots yet
        for row in new:
            inserted[row.channel_pk].add(row.ts)
        roots = {pk: {m.root_ts for m in msgs} - inserted[pk] for pk, msgs in by_pk.items()}
        found = incident_rows(session, roots)
        for pk, rooted in threads.items():
            for root_ts, rows in rooted.items():
                found[pk][root_ts] = self._derive(
                    session, pk, root_ts, rows, found[pk].get(root_ts), new=_pending_incident
                )
        session.flush()
        opened = _insert_pending(session, found)
        incidents = {
            (pk, root): getattr(i, "id", i)
            for pk, rooted in found.items()
            for root, i in rooted.items()
            if i is not None
        }
        return incidents, opened

    def _channel_ids(
        self, session: Session, batch: list[CapturedMessage], known: dict[ChannelKey, int]
    ) -> dict[tuple[str, str], int]:
        """The batch's channel ids by (team, channel): looked up (name and cohort kept
        current) once per import, and in one go for all the channels a batch sees first."""
        keys: dict[tuple[str, str], ChannelKey] = {}
        for msg in batch:
            if (msg.team_id, msg.channel_id) not in keys:
                cohort = self.cohort_for(msg.channel_id, msg.channel_name)
                keys[msg.team_id, msg.channel_id] = (
                    msg.team_id,
                    msg.channel_id,
                    msg.channel_name,
                    cohort,
                )
        unknown = [key for key in keys.values() if key not in known]
        if unknown:
            ids = channel_ids(session, unknown)
            known.update((key, ids[key[:2]]) for key in unknown)
        return {channel: known[key] for channel, key in keys.items()}

    def _insert(
        self,
        session: Session,
        new: list[SimpleNamespace],
        threads: dict[int, dict[str, list]],
    ) -> None:
        """Insert the batch's new rows in one statement and join them to their threads.

        The threads were read before the insert: the batch's own rows are already in memory,
        so reading them back would only cost time. Each thread stays in ts order, root first.
        """
        ids = insert_rows(session, Message, [vars(row) for row in new])
        by_pk: dict[int, list[SimpleNamespace]] = defaultdict(list)
        for row, id_ in zip(new, ids, strict=True):
            row.id = id_  # an incident names its root by id
            by_pk[row.channel_pk].append(row)
        for pk, rows in by_pk.items():
            joined = {root: [] for root in threads[pk]}
            join_threads(joined, rows)
            for root, added in joined.items():
                if added:
                    threads[pk][root] = sorted([*threads[pk][root], *added], key=_by_ts)
        session.flush()

    def _store(
        self,
        msg: CapturedMessage,
        channel_pk: int,
        stored: dict[str, Message | SimpleNamespace],
        new: list[SimpleNamespace],
        reading: Reading | None = None,
    ) -> str:
        """Update the message's row in `stored` (by ts), or append a new one to `new`.

        New rows are plain namespaces, not Message objects: building a SQLModel object costs
        more than classifying the message, and the multi-row INSERT needs only the values.
        Without a `reading`, the text is redacted here and classified only if it changed.
        """
        text, result = reading or (redact(msg.text), None)
        row = stored.get(msg.ts)
        if row is None:
            row = SimpleNamespace(
                channel_pk=channel_pk,
                ts=msg.ts,
                thread_ts=msg.thread_ts,
                posted_at=ts_time(msg.ts),
                user_hash=self.pseudonymize(msg.user_id),
                text=None,
                subtype=msg.subtype,
                source=msg.source,
                edited_at=None,
                resolution_reaction=False,
                resolution_reaction_at=None,
            )
            stored[msg.ts] = row
            new.append(row)
            action = "stored"
        elif row.text is None or (
            row.text == text and not (msg.resolution_reactions and not row.resolution_reaction)
        ):
            return "unchanged"  # None: the text was deleted by retention and stays deleted
        else:
            action = "updated"
        if msg.edited_ts:
            row.edited_at = ts_time(msg.edited_ts)
        if msg.resolution_reactions:
            row.resolution_reaction = True
            row.resolution_reaction_at = ts_time(msg.latest_reply) if msg.latest_reply else None
        if row.text != text:
            root = stored.get(msg.root_ts) if msg.is_reply else None
            context = _in_thread(root, row)
            self._classify(row, text, reply=msg.is_reply, result=result, context=context)
        return action

    def refresh(self, session: Session, channel: Channel, root_ts: str) -> Incident | None:
        """Re-derive a thread's incident in the caller's transaction, e.g. after a TA's tag."""
        return self._rederive_threads(session, {channel.id: {root_ts}}).get((channel.id, root_ts))

    def reclassify(self, batch: int = 1000) -> Counter[tuple[str | None, str | None]]:
        """Classify every stored message again, each in its thread as the live path reads it,
        and re-derive every thread's incident from the rows in hand (read once).

        Returns how many incidents moved from one signature to another (None: no incident).
        Human tags are untouched: `_derive` never changes a human-tagged incident. Messages
        whose text retention deleted are not classified, but still count in their thread, and
        a thread with no text left is not re-derived.
        """
        with Session(self.engine) as session:
            incidents = {(i.channel_pk, i.root_ts): i for i in session.exec(select(Incident))}
            before = {thread: i.signature_id for thread, i in incidents.items()}
            thread_key = func.coalesce(Message.thread_ts, Message.ts)
            query = (
                select(Message)
                .order_by(Message.channel_pk, thread_key, Message.ts)
                .execution_options(yield_per=batch)
            )
            for (channel_pk, root_ts), group in groupby(session.exec(query), key=_thread_of):
                rows = list(group)
                # With or without its text (retention may have taken it), as `_store` reads it.
                root = rows[0] if rows[0].ts == root_ts else None
                for row in rows:
                    if row.text is not None:
                        reply = row is not root
                        context = _in_thread(root, row) if reply else None
                        self._classify(row, row.text, reply=reply, context=context)
                if any(row.text is not None for row in rows):
                    incident = incidents.get((channel_pk, root_ts))
                    incident = self._derive(session, channel_pk, root_ts, rows, incident)
                    if incident is not None:
                        session.add(incident)
            session.flush()
            after = _signatures(session)
            session.commit()
        return Counter(
            (before.get(key), after.get(key))
            for key in before.keys() | after.keys()
            if before.get(key) != after.get(key)
        )

    def _classify(
        self,
        row: Message,
        text: str,
        *,
        reply: bool,
        result: Classification | None = None,
        context: Context | None = None,
    ) -> None:
        """Store `text` and its classification (`result`, when already worked out for it),
        placed in its thread when the `context` is known."""
        result = result or self.classifier.classify(text, reply=reply)
        result = in_context(result, context) if context else result
        row.text = text
        row.is_incident = result.is_incident
        row.domain_id = result.domain
        row.signature_id = result.signature
        row.confidence = result.confidence
        row.attributes = dict(result.attributes)
        row.classifier_version = result.version
        row.resolves = reply and not result.is_incident and result.says_resolved
        row.cause_signature_id = result.cause

    def _rederive_threads(
        self, session: Session, wanted: dict[int, set[str]]
    ) -> dict[tuple[int, str], Incident | None]:
        """Open, update, resolve or drop the incidents of threads `wanted` (channel id -> root
        ts) from their stored messages, read in one query. Returns, by thread, the incident of
        each thread that has or had one: None where it was dropped."""
        incidents = incident_rows(session, wanted)
        derived: dict[tuple[int, str], Incident | None] = {}
        for pk, rooted in threads_rows(session, wanted).items():
            for root_ts, thread in rooted.items():
                was = incidents[pk].get(root_ts)
                incident = self._derive(session, pk, root_ts, thread, was)
                if incident is not None:
                    session.add(incident)
                if incident is not None or was is not None:
                    derived[pk, root_ts] = incident
        session.flush()
        return derived

    def _derive(
        self,
        session: Session,
        channel_pk: int,
        root_ts: str,
        rows: list[Message],
        incident: Incident | None,
        new: Callable[..., Incident | SimpleNamespace] = Incident,
    ) -> Incident | SimpleNamespace | None:
        """The thread's incident given its rows (root first) and its incident row, if any.

        Only the asker's own messages speak for the incident: a TA pasting an example error
        in someone's thread does not make it a blocker. A new incident is made by `new`; the
        caller adds it to the session (or inserts it) and flushes. Without a report left, an
        incident goes, unless a TA tagged it.
        """
        root = rows[0] if rows and rows[0].ts == root_ts else None
        if root is None:
            return None
        own = [m for m in rows if m is root or (root.user_hash and m.user_hash == root.user_hash)]
        chosen = incident_of([(m.is_incident, m.signature_id, m.cause_signature_id) for m in own])
        if chosen is not None:
            if incident is None:
                incident = new(**_opening(channel_pk, root))
            if not incident.human_tagged:
                self._classify_incident(incident, own[chosen[0]], chosen[1])
        elif incident is None:
            return None
        elif not incident.human_tagged:
            session.delete(incident)
            return None
        if incident.resolved_by not in EXPLICIT_RESOLUTIONS:
            _derive_resolution(incident, root, own)
        _derive_response(incident, root, rows, self.staff)
        return incident

    def _classify_incident(
        self, incident: Incident | SimpleNamespace, best: Message, cause: str | None
    ) -> None:
        """The incident takes the classification of the asker's report that `incident_of`
        chose, moved to the layer of the `cause` the asker named later (`moved_to`), and awaits
        a TA's triage when that is unsure (or a learner asked for one)."""
        moved = moved_to(best.domain_id, cause)
        incident.domain_id, incident.signature_id = moved or (best.domain_id, best.signature_id)
        incident.confidence = best.confidence
        incident.classifier_version = best.classifier_version
        incident.attributes = best.attributes
        incident.needs_triage = incident.triage_requested or best.confidence < self.triage_threshold


def _opening(channel_pk: int, root: Message) -> dict:
    """A new incident's values from the thread's root; `_classify_incident` classifies it."""
    return {
        "channel_pk": channel_pk,
        "root_ts": root.ts,
        "root_message_id": root.id,
        "asker_hash": root.user_hash,
        "opened_at": root.posted_at,
    }


def _insert_pending(session: Session, found: dict[int, dict[str, object]]) -> set[tuple[int, str]]:
    """Insert the new incidents among `found` (plain values) in one statement, replacing each
    with its id; returns their threads as (channel id, root ts)."""
    pending = [
        vars(i)
        for rooted in found.values()
        for i in rooted.values()
        if isinstance(i, SimpleNamespace)
    ]
    if pending:
        for i, id_ in zip(pending, insert_rows(session, Incident, pending), strict=True):
            found[i["channel_pk"]][i["root_ts"]] = id_
    return {(i["channel_pk"], i["root_ts"]) for i in pending}


def _in_thread(
    root: Message | SimpleNamespace | None, reply: Message | SimpleNamespace
) -> Context | None:
    """A reply's place in its thread, when its root is known: who asked, what they reported."""
    if root is None:
        return None
    return Context(True, root.user_hash == reply.user_hash, root.signature_id)


def _by_channel(threads: Iterable[tuple[int, str]]) -> dict[int, set[str]]:
    """(channel id, ts) pairs as channel id -> ts, as `incident_rows` and `threads_rows` take."""
    wanted: dict[int, set[str]] = defaultdict(set)
    for pk, ts in threads:
        wanted[pk].add(ts)
    return wanted


def _thread_of(row: Message) -> tuple[int, str]:
    """A stored message's thread: (channel id, root ts)."""
    return row.channel_pk, row.thread_ts or row.ts


def _by_ts(row: Message | SimpleNamespace) -> str:
    return row.ts


def _pending_incident(**values) -> SimpleNamespace:
    """A new incident as plain values, inserted with its batch (see `_store` on why)."""
    return SimpleNamespace(
        resolved_at=None,
        resolved_by=None,
        downtime_seconds=None,
        human_tagged=False,
        needs_triage=False,
        dismissed=False,
        triage_requested=False,
        attributes={},
        **values,
    )


def _derive_resolution(incident: Incident, root: Message, own: list[Message]) -> None:
    """Resolved by the earliest of: the asker saying it worked, a resolution emoji on the root."""
    moments = [(m.posted_at, "asker", True) for m in own if m.resolves]
    if root.resolution_reaction:
        at = root.resolution_reaction_at
        moments.append((at, "reaction", True) if at else (root.posted_at, "reaction", False))
    if not moments:
        set_resolution(incident, None, None)
        return
    timed = [m for m in moments if m[2]]
    at, by, is_timed = min(timed or moments)
    set_resolution(incident, at, by, timed=is_timed)


def _derive_response(
    incident: Incident, root: Message, rows: list[Message], staff: frozenset[str]
) -> None:
    """The first reply by someone other than the asker, and the first by a TA, from the
    thread's rows (root first, in ts order): each counts at its own posting time however it
    was seen (live, catch-up, import), and a deleted reply no longer counts."""
    others = [m for m in rows[1:] if m.user_hash != root.user_hash]
    first = others[0] if others else None
    first_ta = next((m for m in others if m.user_hash in staff), None)
    incident.first_reply_at = first.posted_at if first else None
    incident.first_reply_seconds = _seconds_after(root, first)
    incident.first_reply_by = None if first is None else TA if first is first_ta else LEARNER
    incident.ta_reply_seconds = _seconds_after(root, first_ta)


def _seconds_after(root: Message, reply: Message | None) -> int | None:
    if reply is None:
        return None
    return seconds_between(root.posted_at, reply.posted_at)


def _signatures(session: Session) -> dict[tuple[int, str], str]:
    """Each incident's signature, keyed by its thread."""
    rows = session.exec(select(Incident.channel_pk, Incident.root_ts, Incident.signature_id))
    return {(channel_pk, root_ts): signature for channel_pk, root_ts, signature in rows}
