"""Hints in the learner's thread: the catalog's fix for a new incident, replied once, answered.

The ingest path tells `Hints.submit` which incidents it opened, after commit; one worker thread
decides and posts, so neither Slack's acknowledgement nor the spool's writer waits on a post.
A hint goes out when the channel opted in (`[channels] hints`), the classification is
confident (`[classifier] triage_threshold`), the thread is fresh, its signature has a hint no TA
switched off, and the asker is not a TA; it is claimed in the ledger before it is posted, so a
thread gets at most one whatever Slack redelivers or however many replicas run.

The buttons answer it: "That fixed it" resolves the incident (`resolved_by = hint`, downtime
until the click); "Not it" asks for a TA. Only the asker or a TA may answer.
"""

from __future__ import annotations

import logging
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient
from slack_sdk.errors import SlackClientError
from sqlmodel import Session

from bot.authz import Authorizer
from bot.context import Context
from bot.labels import parse_label
from bot.logs import log_event
from bot.remediation.hint_message import FIXED_ACTION, NOT_IT_ACTION, hint_blocks, hint_text
from bot.slack.payloads import action_team
from classifiers import catalog
from classifiers.catalog import Signature
from storage.hints import (
    FIXED,
    NOT_IT,
    answer_hint,
    claim_hint,
    disabled_hints,
    hint_disabled,
    record_post,
    switch_hint,
    thread_hint,
)
from storage.ledger import find_channel
from storage.models import Channel, Incident

log = logging.getLogger(__name__)

# A thread older than this gets no hint: it was caught up after an outage, or a TA tagged it
# long after; the learner has moved on, and a hint there would be noise.
MAX_AGE = timedelta(hours=1)
ONLY_ASKER = "Only the person who asked, or a TA, can answer this hint."
ANSWERED = "This hint was answered already."
GONE = "This thread is no longer in the friction ledger."
SORRY = "Sorry, that failed on my side and has been logged. Nothing changed."
HINTS_USAGE = "Usage: `/friction hints off <signature>` or `/friction hints on <signature>`."


def register(app: App, context: Context) -> None:
    """Reply hints to the incidents the ingest path opens; listen to the hint's buttons."""
    hints = Hints(context, app.client)
    context.ingestor.opened_listeners.append(hints.submit)
    app.action(FIXED_ACTION)(ack=_ack, lazy=[hints.fixed])
    app.action(NOT_IT_ACTION)(ack=_ack, lazy=[hints.not_it])


def _ack(ack: Ack) -> None:
    ack()


class Hints:
    """Decides, posts and answers hints; one worker thread posts them in order."""

    def __init__(self, context: Context, client: WebClient) -> None:
        self.context = context
        self.client = client
        self.channels = context.settings.file.channels
        self.threshold = context.settings.file.classifier.triage_threshold
        self.authz = Authorizer(context.settings.file.people)
        self.signatures = {s.id: s for s in catalog().signatures}
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="hints")

    def submit(self, incident_ids: list[int]) -> Future[None] | None:
        """Consider newly opened incidents on the worker; returns at once and never raises:
        it runs in the ingest path, after the incidents were committed."""
        if not self.channels.hints:
            return None  # no channel opted in: not even a thread hand-off
        try:
            return self._worker.submit(self._consider_all, incident_ids)
        except RuntimeError:  # the process is shutting down: no new hints
            log_event(log, "hint.dropped", logging.WARNING, incidents=len(incident_ids))
            return None

    def _consider_all(self, incident_ids: list[int]) -> None:
        for incident_id in incident_ids:
            try:
                self.consider(incident_id)
            except Exception:  # one bad incident must not stop the next one's hint
                log.exception("hint failed", extra={"incident": incident_id})

    def consider(self, incident_id: int, now: datetime | None = None) -> str:
        """Post the incident's hint if it should have one; returns what happened, for logs."""
        now = now or datetime.now(UTC)
        with Session(self.context.engine, expire_on_commit=False) as session:
            incident = session.get(Incident, incident_id)
            channel = session.get(Channel, incident.channel_pk) if incident else None
            signature = self.signatures.get(incident.signature_id) if incident else None
            reason = self._reason_not_to(session, incident, channel, signature, now)
            hint = None if reason else claim_hint(session, incident, now)
            if hint is None:
                reason = reason or "thread already has a hint"
                log_event(log, "hint.skipped", logging.DEBUG, incident=incident_id, reason=reason)
                return reason
            try:
                posted = self.client.chat_postMessage(
                    channel=channel.channel_id,
                    thread_ts=incident.root_ts,
                    text=hint_text(signature),
                    blocks=hint_blocks(signature, incident.attributes),
                    unfurl_links=False,
                )
            except (SlackClientError, OSError) as exc:  # the claim stays: never a second hint
                log_event(log, "hint.failed", logging.WARNING, incident=incident_id, error=str(exc))
                return "post failed"
            record_post(session, hint, posted["ts"])
        log_event(log, "hint.posted", incident=incident_id, signature=signature.id)
        return "posted"

    def _reason_not_to(
        self,
        session: Session,
        incident: Incident | None,
        channel: Channel | None,
        signature: Signature | None,
        now: datetime,
    ) -> str | None:
        """Why the incident gets no hint, or None when it should get one."""
        if incident is None or channel is None:
            return "incident gone"
        if not self.channels.hints_in(channel.channel_id, channel.name):
            return "channel did not opt in"
        if incident.dismissed or incident.human_tagged:
            return "a TA has labelled the thread"
        if incident.confidence < self.threshold:
            return "classification not confident"
        if now - incident.opened_at > MAX_AGE:
            return "thread too old"
        if signature is None or not signature.hint:
            return "no hint for the signature"
        if hint_disabled(session, signature.id):
            return "hint switched off by a TA"
        if incident.asker_hash in self._ta_hashes():
            return "asked by a TA"
        return None

    def _ta_hashes(self) -> set[str]:
        people = self.context.settings.file.people
        tas = set(people.tas) | self.authz.group_members(self.client)
        return {self.context.pseudonymize(user) for user in tas}

    # -- the buttons ---------------------------------------------------------------------

    def fixed(self, body: dict[str, Any], client: WebClient) -> None:
        self._answer(body, client, FIXED)

    def not_it(self, body: dict[str, Any], client: WebClient) -> None:
        self._answer(body, client, NOT_IT)

    def _answer(self, body: dict[str, Any], client: WebClient, outcome: str) -> None:
        user = body["user"]["id"]
        where = body.get("container") or {}
        try:
            reply, update = self._record(body, user, outcome)
        except Exception:
            log.exception("hint answer failed")
            reply, update = SORRY, None
        if update is not None:
            client.chat_update(channel=where["channel_id"], ts=where["message_ts"], **update)
        if reply:
            client.chat_postEphemeral(
                channel=where["channel_id"], user=user, thread_ts=where.get("thread_ts"), text=reply
            )

    def _record(
        self, body: dict[str, Any], user: str, outcome: str
    ) -> tuple[str | None, dict[str, Any] | None]:
        """Record the answer; returns an ephemeral reply, or the hint message's new content."""
        where = body.get("container") or {}
        team = action_team(body)
        with Session(self.context.engine, expire_on_commit=False) as session:
            channel = find_channel(session, team, where.get("channel_id", ""))
            found = channel and thread_hint(session, channel.id, where.get("thread_ts", ""))
            if not found:
                return GONE, None
            hint, incident = found
            actor = self.context.pseudonymize(user)
            if actor != incident.asker_hash and not self.authz.role(self.client, user).can_change:
                return ONLY_ASKER, None
            if not answer_hint(session, hint, incident, outcome, actor, datetime.now(UTC)):
                return ANSWERED, None
            log_event(log, "hint.answered", incident=incident.id, outcome=outcome)
            signature = self.signatures[hint.signature_id]
            blocks = hint_blocks(signature, incident.attributes, outcome)
            return None, {"text": hint_text(signature), "blocks": blocks}


def switch_command(context: Context, user_id: str, args: list[str]) -> str:
    """`/friction hints [off|on <signature>]`: switch a signature's hint, or list those off."""
    if not args:
        with Session(context.engine) as session:
            off = disabled_hints(session)
        listed = ", ".join(f"`{s}`" for s in off) if off else "none"
        return f"Hints switched off: {listed}. {HINTS_USAGE}"
    if len(args) != 2 or args[0].lower() not in ("on", "off"):
        raise ValueError(HINTS_USAGE)
    label = parse_label(args[1])
    if label.signature is None:
        raise ValueError(
            f"Hints are switched per signature, such as `iam.passrole`, not `{args[1]}`."
        )
    disabled = args[0].lower() == "off"
    with Session(context.engine) as session:
        changed = switch_hint(
            session,
            label.signature,
            disabled=disabled,
            actor_hash=context.pseudonymize(user_id),
            now=datetime.now(UTC),
        )
    state = "off" if disabled else "on"
    if not changed:
        return f"The hint for `{label.signature}` was already {state}. Nothing changed."
    then = "no new thread gets it" if disabled else "new threads get it again"
    return f"Switched the hint for `{label.signature}` {state}: {then}."
