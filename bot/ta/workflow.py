"""The TA workflow on Slack: `/friction`, the "Tag friction" shortcut and modal, the App Home.

`register(app, context)` adds the listeners to the Bolt app. The app answers Slack only once a
listener returns, so the command, the shortcut and App Home acknowledge at once and do their
work in Bolt's lazy listeners (a thread read from Slack may take longer than Slack's 3 seconds).
The modal submission does its work before answering, because the answer carries validation
errors. Each path checks the caller's role on the server, whatever Slack's UI showed them.
Replies are ephemeral: to the `response_url`, or `chat.postEphemeral` after the modal.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from functools import partial
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlmodel import Session

from bot.authz import Authorizer, Role
from bot.context import Context
from bot.logs import log_event
from bot.slack.payloads import action_team
from bot.ta.command import TA_ONLY, FrictionCommand, period_window
from bot.ta.home import learner_home, staff_home
from bot.ta.links import MessageRef, WorkspaceUrl, message_link
from bot.ta.queue import waiting_section
from bot.ta.tag_actions import ActionError, TagActions
from bot.ta.tag_modal import (
    CALLBACK_ID,
    DOMAIN_ACTION,
    DOMAIN_BLOCK,
    SubmissionError,
    picked_domain,
    read_submission,
    tag_modal,
    thread_of,
)
from digests.report import build_report
from storage.tagging import awaiting_triage

log = logging.getLogger(__name__)

SHORTCUT_ID = "tag_friction"
SORRY = "Sorry, that failed on my side and has been logged. Nothing changed."


def register(app: App, context: Context) -> None:
    """Add the TA workflow's listeners to `app`."""
    workflow = TaWorkflow(context)
    app.command("/friction")(ack=_ack, lazy=[workflow.command])
    app.shortcut(SHORTCUT_ID)(ack=_ack, lazy=[workflow.shortcut])
    app.action(DOMAIN_ACTION)(workflow.pick_domain)
    app.view(CALLBACK_ID)(workflow.submit)
    app.event("app_home_opened")(ack=_ack, lazy=[workflow.home_opened])


def _ack(ack: Ack) -> None:
    ack()


class TaWorkflow:
    """The listeners, sharing one authorizer (and its user-group cache) and one ledger."""

    def __init__(self, context: Context) -> None:
        self.context = context
        self.authz = Authorizer(context.settings.file.people)
        self.actions = TagActions(context)
        self.workspace_url = WorkspaceUrl(context.settings.file.digest.workspace_url)
        self.friction = FrictionCommand(context, self.authz, self.actions, self.workspace_url)

    def command(self, body: dict[str, Any], client: WebClient, respond: Respond) -> None:
        try:
            reply = self.friction.run(
                client, body["user_id"], body["team_id"], body.get("text") or ""
            )
        except Exception:
            log.exception("/friction failed")
            respond(text=SORRY, response_type="ephemeral")
            return
        respond(text=reply.text, blocks=reply.blocks, response_type="ephemeral")

    def shortcut(self, body: dict[str, Any], client: WebClient, respond: Respond) -> None:
        """Open the modal, prefilled with the thread's labels (capturing the thread if needed)."""
        user, team = body["user"]["id"], body["team"]["id"]
        if not self.authz.role(client, user).can_change:
            respond(text=TA_ONLY, response_type="ephemeral")
            return
        message = body.get("message") or {}
        ref = MessageRef(body["channel"]["id"], body["message_ts"], message.get("thread_ts"))
        try:
            thread = self.actions.locate(client, team, ref)
            view = tag_modal(thread, self.actions.current(thread))
            client.views_open(trigger_id=body["trigger_id"], view=view)
        except ActionError as exc:
            respond(text=str(exc), response_type="ephemeral")
        except Exception:
            log.exception("Tag friction shortcut failed")
            respond(text=SORRY, response_type="ephemeral")

    def pick_domain(self, ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        """Rebuild the modal so the signature picker lists the picked domain's signatures.

        Only for TAs, like the shortcut and the submit: the rebuilt modal shows the thread's
        text and classification, which a learner holding an old or forged view may not read.
        """
        ack()
        if not self.authz.role(client, body["user"]["id"]).can_change:
            log_event(log, "action.refused", logging.WARNING, action=DOMAIN_ACTION)
            return
        view = body["view"]
        try:
            thread = thread_of(view, action_team(body))
            current = self.actions.current(thread)
        except (SubmissionError, ActionError):
            return  # the submission will say what is wrong
        try:
            client.views_update(
                view_id=view["id"],
                hash=view["hash"],
                view=tag_modal(thread, current, picked_domain(view)),
            )
        except SlackApiError as exc:  # e.g. hash_conflict: a newer pick already rebuilt it
            log.warning("could not rebuild the Tag friction modal", extra={"error": str(exc)})

    def submit(self, ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        """Check, validate and save the tag; errors go back into the modal, nothing saved."""
        user, team = body["user"]["id"], body["team"]["id"]
        if not self.authz.role(client, user).can_change:
            ack(response_action="errors", errors={DOMAIN_BLOCK: TA_ONLY})
            return
        try:
            submission = read_submission(body["view"], team)
            reply = self.actions.label(submission.thread, submission.label, user, submission.note)
        except SubmissionError as exc:
            ack(response_action="errors", errors=exc.errors)
            return
        except ActionError as exc:
            ack(response_action="errors", errors={DOMAIN_BLOCK: str(exc)})
            return
        ack()
        client.chat_postEphemeral(channel=submission.thread.channel_id, user=user, text=reply)

    def home_opened(self, event: dict[str, Any], client: WebClient) -> None:
        """Publish the dashboard for staff, the explanation for everyone else."""
        if event.get("tab") != "home":
            return
        user = event["user"]
        if self.authz.role(client, user) is Role.NONE:
            client.views_publish(user_id=user, view=learner_home())
            return
        now = datetime.now(UTC)
        window, title = period_window("this-week", now, self.context.settings.file.digest.timezone)
        link = partial(message_link, self.workspace_url(client))
        with Session(self.context.engine) as session:
            report = build_report(session, window)
            triage = awaiting_triage(session, window)
            queue = waiting_section(session, self.friction.course, link, now)
        view = staff_home(report, triage, link, title=title, now=now, queue=queue)
        client.views_publish(user_id=user, view=view)
