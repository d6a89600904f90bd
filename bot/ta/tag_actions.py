"""A TA's operations on a thread, shared by `/friction` and the "Tag friction" modal.

`locate` finds the thread a link or a shortcut names; when the ledger has not captured it yet
(the bot was down, or the message came before it joined), the thread is read from Slack and
goes through the one ingest path first, so a tag never points at a message the ledger lacks.
Every operation runs in one transaction and returns the sentence to show the TA; anything that
stops it raises ActionError with a sentence saying why, and nothing is written.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from sqlmodel import Session

from bot.context import Context
from bot.ingest.capture import capture, skip_reason
from bot.ingest.privacy import redact
from bot.labels import Label, signature_in
from bot.ta.links import MessageRef
from classifiers import catalog
from storage.ledger import find_channel, incident_row, message_row
from storage.models import Channel, Incident, Message
from storage.tagging import TagError, dismiss, reopen, resolve, tag

NOTHING_CHANGED = "Nothing changed."


class ActionError(Exception):
    """Why an operation did not happen, worded for the TA; nothing was written."""


@dataclass(frozen=True, slots=True)
class Thread:
    team_id: str
    channel_id: str
    root_ts: str


@dataclass(frozen=True, slots=True)
class Current:
    """What the ledger says about a thread now (domain and signature None: not friction)."""

    domain: str | None
    signature: str | None
    confidence: float | None
    human_tagged: bool
    dismissed: bool
    text: str

    @classmethod
    def of(cls, root: Message, incident: Incident | None) -> Current:
        if incident is None:
            return cls(None, None, None, False, False, root.text or "")
        return cls(
            incident.domain_id,
            incident.signature_id,
            incident.confidence,
            incident.human_tagged,
            incident.dismissed,
            root.text or "",
        )


class TagActions:
    def __init__(
        self, context: Context, now: Callable[[], datetime] = lambda: datetime.now(UTC)
    ) -> None:
        self.context = context
        self.now = now

    def locate(self, client: WebClient, team_id: str, ref: MessageRef) -> Thread:
        """The thread of a watched channel that `ref` points into, captured if it was not yet."""
        channels = self.context.settings.file.channels
        with Session(self.context.engine) as session:
            channel = find_channel(session, team_id, ref.channel_id)
            name = channel.name if channel else None
            row = message_row(session, channel.id, ref.ts) if channel else None
        if name is None and channels.watch:
            name = self._channel_name(client, ref.channel_id)
        if not channels.watches(ref.channel_id, name):
            raise ActionError(
                f"<#{ref.channel_id}> is not a watched help channel, so the ledger keeps no "
                f"friction from it. {NOTHING_CHANGED}"
            )
        if row is None:
            self._capture_thread(client, team_id, ref, name)
            with Session(self.context.engine) as session:
                channel = find_channel(session, team_id, ref.channel_id)
                row = message_row(session, channel.id, ref.ts) if channel else None
        if row is None:
            raise ActionError(
                "That message is not a learner's post (a bot, a join or a system message), "
                f"so it cannot be friction. {NOTHING_CHANGED}"
            )
        return Thread(team_id, ref.channel_id, row.thread_ts or row.ts)

    def current(self, thread: Thread) -> Current:
        with Session(self.context.engine) as session:
            _, root, incident = self._load(session, thread)
            return Current.of(root, incident)

    def label(self, thread: Thread, label: Label, user_id: str, note: str | None = None) -> str:
        """Tag the thread with `label`, or dismiss it when the label is `none`."""
        where = f"the thread in <#{thread.channel_id}>"
        with Session(self.context.engine) as session:
            channel, root, incident = self._load(session, thread)
            was = f"`{incident.signature_id}`" if incident else "not friction"
            if label.dismisses:
                if incident is None or incident.dismissed:
                    return f"The ledger does not count {where} as friction. {NOTHING_CHANGED}"
                self._change(dismiss, session, incident, user_id, note)
                reply = f"Dismissed {where} (was {was}): it no longer counts in any figure."
            else:
                assert label.domain is not None
                signature = label.signature or signature_in(
                    label.domain, incident.signature_id if incident else None
                )
                event = tag(session, root, label.domain, signature, **self._audit(user_id, note))
                if event is None:
                    return f"{where.capitalize()} is already tagged {was}. {NOTHING_CHANGED}"
                self.context.ingestor.refresh(session, channel, root.ts)
                title = catalog().signature(signature).title
                reply = (
                    f"Tagged {where} as `{signature}` ({title}), was {was}. "
                    "The classifier will not relabel it."
                )
            session.commit()
        return reply

    def resolve(self, thread: Thread, user_id: str, note: str | None = None) -> str:
        with Session(self.context.engine) as session:
            _, _, incident = self._incident(session, thread)
            if self._change(resolve, session, incident, user_id, note) is None:
                return f"That thread is already resolved. {NOTHING_CHANGED}"
            session.commit()
            blocked = _duration(incident.downtime_seconds or 0)
        return f"Resolved the thread in <#{thread.channel_id}>: the learner was blocked {blocked}."

    def reopen(self, thread: Thread, user_id: str, note: str | None = None) -> str:
        with Session(self.context.engine) as session:
            _, _, incident = self._incident(session, thread)
            if self._change(reopen, session, incident, user_id, note) is None:
                return f"That thread is already open. {NOTHING_CHANGED}"
            session.commit()
        return (
            f"Re-opened the thread in <#{thread.channel_id}>; it stays open until "
            "`/friction resolve`."
        )

    def _audit(self, user_id: str, note: str | None) -> dict[str, Any]:
        """Who (hashed), when, and the note, redacted like any text the ledger keeps."""
        return {
            "actor_hash": self.context.pseudonymize(user_id),
            "at": self.now(),
            "note": redact(note) if note else None,
        }

    def _change(self, change, session: Session, incident: Incident, user_id: str, note):
        try:
            return change(session, incident, **self._audit(user_id, note))
        except TagError as exc:
            raise ActionError(f"{str(exc).capitalize()}. {NOTHING_CHANGED}") from None

    def _load(self, session: Session, thread: Thread) -> tuple[Channel, Message, Incident | None]:
        channel = find_channel(session, thread.team_id, thread.channel_id)
        root = message_row(session, channel.id, thread.root_ts) if channel else None
        if channel is None or root is None:
            raise ActionError(f"That thread is no longer in the ledger. {NOTHING_CHANGED}")
        return channel, root, incident_row(session, channel.id, root.ts)

    def _incident(self, session: Session, thread: Thread) -> tuple[Channel, Message, Incident]:
        channel, root, incident = self._load(session, thread)
        if incident is None:
            raise ActionError(
                "The ledger does not count that thread as friction; tag it first "
                f"(`/friction tag <link> <domain>`). {NOTHING_CHANGED}"
            )
        return channel, root, incident

    def _channel_name(self, client: WebClient, channel_id: str) -> str | None:
        try:
            return client.conversations_info(channel=channel_id)["channel"].get("name")
        except (SlackClientError, OSError) as exc:
            raise ActionError(_slack_problem(exc, channel_id)) from None

    def _capture_thread(
        self, client: WebClient, team_id: str, ref: MessageRef, name: str | None
    ) -> None:
        emoji = frozenset(self.context.settings.file.resolution.emoji)
        try:
            messages = [
                capture(
                    m,
                    team_id=team_id,
                    channel_id=ref.channel_id,
                    source="history",
                    resolution_emoji=emoji,
                    channel_name=name,
                )
                for page in client.conversations_replies(channel=ref.channel_id, ts=ref.ts)
                for m in page["messages"]
                if skip_reason(m) is None
            ]
        except (SlackClientError, OSError) as exc:
            raise ActionError(_slack_problem(exc, ref.channel_id)) from None
        self.context.ingestor.add_many(messages)


def _slack_problem(exc: Exception, channel_id: str) -> str:
    """A sentence for a failed Slack call, by Slack's error code."""
    code = exc.response.get("error") if isinstance(exc, SlackApiError) else None
    if code in ("thread_not_found", "message_not_found"):
        why = "Slack has no such message: was it deleted?"
    elif code in ("not_in_channel", "channel_not_found"):
        why = f"I am not in <#{channel_id}>: invite me there (`/invite @Friction Ledger`) first."
    elif code == "ratelimited":
        why = "Slack is rate-limiting my reads; try again in a minute."
    elif code:
        why = f"Slack answered `{code}` when I read <#{channel_id}>."
    else:
        why = "Slack did not answer; try again in a moment."
    return f"{why} {NOTHING_CHANGED}"


def _duration(seconds: int) -> str:
    minutes = round(seconds / 60)
    if minutes < 90:
        return f"{minutes} min"
    return f"{minutes / 60:.1f} h"
