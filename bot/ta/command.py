"""`/friction`: parse the text after the command, check who asks, and word the reply.

Every subcommand answers with a `Reply` shown only to the caller. A mistake (unknown
subcommand, a bad link, an unknown id, a channel that is not watched) gets a sentence saying
what to type instead, and nothing is written; so does anyone who may not use the subcommand.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

from slack_sdk import WebClient
from sqlmodel import Session

from bot.authz import Authorizer, Role
from bot.context import Context
from bot.labels import UnknownLabel, parse_label
from bot.remediation.fixes import slash_fix
from bot.remediation.hints import switch_command
from bot.ta.links import LinkError, WorkspaceUrl, message_link, parse_message_link
from bot.ta.queue import course_hours, waiting_section
from bot.ta.report_blocks import report_blocks, section
from bot.ta.tag_actions import ActionError, TagActions, Thread
from classifiers import catalog
from digests.alerts import Silence, lift_silences, silence, silences
from digests.blocks import digest_blocks, fallback_text
from digests.config import parse_duration
from digests.model import archive_link, build_digest
from digests.periods import parse_period
from digests.report import build_report
from storage.queries import Window

PERIODS = ("this-week", "last-week", "7d", "30d")
TA_ONLY = (
    "Only TAs can tag, resolve or re-open friction, or silence alerts. If you are one, ask a "
    "course lead to add you to the TA list or group. Nothing changed."
)
STAFF_ONLY = "Stats and digest previews are for TAs and course leads."
SILENCE_USAGE = (
    "Usage: `/friction silence <domain> <duration>` (like `/friction silence iam 2h`; "
    "durations look like `30m`, `2h`, `1d`), `/friction silence list`, "
    "`/friction silence off <domain>`."
)


@dataclass(frozen=True, slots=True)
class Reply:
    text: str
    blocks: list[dict[str, Any]] | None = None


def help_text(role: Role) -> str:
    domains = ", ".join(f"`{d.id}`" for d in catalog().domains)
    you = {
        Role.TA: "You are a TA: you can use every subcommand.",
        Role.LEAD: "You are a lead: you can use `stats`, `digest` and `fix`.",
        Role.NONE: (
            "These subcommands are for TAs (all) and course leads (`stats`, `digest`, `fix`)."
        ),
    }[role]
    return (
        "*/friction* — correct and review the friction ledger. Replies are only shown to you.\n"
        "• `/friction tag <message link> <domain|signature|none> [note]`: label a thread "
        "(its first message's link or any reply's); `none` dismisses it as not friction\n"
        "• `/friction resolve <link> [note]` and `/friction reopen <link> [note]`\n"
        f"• `/friction stats [{'|'.join(PERIODS)}]`: incidents, share and hours blocked by domain\n"
        "• `/friction digest`: a private preview of the next weekly digest\n"
        "• `/friction hints off|on <signature>`: stop (or resume) the automatic hint in "
        "learners' threads for a signature; `/friction hints` lists those off\n"
        "• `/friction silence <domain> <30m|2h|1d>`: mute a domain's spike alerts for a while; "
        "`/friction silence list` and `/friction silence off <domain>`\n"
        "• `/friction fix add <domain|signature> <what changed> [--at YYYY-MM-DD] "
        "[--cohort C]`, `/friction fix list` and `/friction fix remove <number>`: record a fix, "
        "see its before/after, remove one recorded by mistake\n"
        "• Or use the message's ⋯ menu → *Tag friction*.\n"
        f"Domains: {domains}; signatures look like `iam.passrole`.\n{you}"
    )


def period_window(name: str, now: datetime, timezone: str) -> tuple[Window, str]:
    """The window a stats period names, and a title for it; weeks are the course's (Monday
    00:00 in its timezone, as in the digest), `7d` and `30d` end now."""
    if name in ("this-week", "last-week"):
        week = parse_period(name, timezone, now)
        return Window(week.since, min(week.until, now)), f"Friction {week.label}"
    if name in ("7d", "30d"):
        days = int(name[:-1])
        return Window(now - timedelta(days=days), now), f"Friction over the last {days} days"
    raise ValueError(f"`{name}` is not a period: use {', '.join(f'`{p}`' for p in PERIODS)}.")


@dataclass(frozen=True, slots=True)
class Invocation:
    """One `/friction` call: who, where, and the words after the subcommand."""

    client: WebClient
    user_id: str
    team_id: str
    role: Role
    args: list[str]


class FrictionCommand:
    """Runs one `/friction` invocation: `run(client, user_id, team_id, text) -> Reply`."""

    def __init__(
        self,
        context: Context,
        authz: Authorizer,
        actions: TagActions,
        workspace_url: WorkspaceUrl,
    ) -> None:
        self.context = context
        self.authz = authz
        self.actions = actions
        self.workspace_url = workspace_url
        self.digest = context.settings.file.digest
        self.course = course_hours(context.settings.file)
        # name -> (what the caller's role must allow, handler)
        self.subcommands: dict[str, tuple[str | None, Callable[[Invocation], Reply]]] = {
            "help": (None, self._help),
            "tag": ("can_change", self._tag),
            "resolve": ("can_change", self._resolve),
            "reopen": ("can_change", self._reopen),
            "stats": ("can_view", self._stats),
            "digest": ("can_view", self._digest),
            "hints": ("can_change", self._hints),
            "silence": ("can_change", self._silence),
            "fix": (None, self._fix),  # leads and TAs: slash_fix checks, with its own refusal
        }

    def run(self, client: WebClient, user_id: str, team_id: str, text: str) -> Reply:
        words = text.split()
        name, args = (words[0].lower(), words[1:]) if words else ("help", [])
        if name not in self.subcommands:
            nearest = difflib.get_close_matches(name, self.subcommands, n=1)
            guess = f" Did you mean `{nearest[0]}`?" if nearest else ""
            return Reply(f"`{name}` is not a /friction subcommand.{guess} Try `/friction help`.")
        permission, handler = self.subcommands[name]
        role = self.authz.role(client, user_id)
        if permission and not getattr(role, permission):
            return Reply(TA_ONLY if permission == "can_change" else STAFF_ONLY)
        try:
            return handler(Invocation(client, user_id, team_id, role, args))
        except (LinkError, UnknownLabel, ActionError, ValueError) as exc:
            return Reply(str(exc))

    def _help(self, call: Invocation) -> Reply:
        return Reply(help_text(call.role))

    def _tag(self, call: Invocation) -> Reply:
        if len(call.args) < 2:
            raise ValueError(
                "Usage: `/friction tag <message link> <domain|signature|none> [note]`."
            )
        ref = parse_message_link(call.args[0])
        label = parse_label(call.args[1])
        thread = self.actions.locate(call.client, call.team_id, ref)
        return Reply(self.actions.label(thread, label, call.user_id, _note(call.args[2:])))

    def _resolve(self, call: Invocation) -> Reply:
        return self._on_thread(call, "resolve", self.actions.resolve)

    def _reopen(self, call: Invocation) -> Reply:
        return self._on_thread(call, "reopen", self.actions.reopen)

    def _on_thread(
        self, call: Invocation, name: str, change: Callable[[Thread, str, str | None], str]
    ) -> Reply:
        if not call.args:
            raise ValueError(f"Usage: `/friction {name} <message link> [note]`.")
        thread = self.actions.locate(call.client, call.team_id, parse_message_link(call.args[0]))
        return Reply(change(thread, call.user_id, _note(call.args[1:])))

    def _stats(self, call: Invocation) -> Reply:
        period = call.args[0].lower() if call.args else "this-week"
        now = datetime.now(UTC)
        window, title = period_window(period, now, self.digest.timezone)
        link = partial(message_link, self.workspace_url(call.client))
        with Session(self.context.engine) as session:
            report = build_report(session, window)
            waiting = waiting_section(session, self.course, link, now)
        blocks = report_blocks(report, title)
        blocks.append(section(waiting))
        return Reply(title, blocks)

    def _digest(self, call: Invocation) -> Reply:
        """The digest that will be posted next (this week's), as it stands now."""
        week = parse_period("this-week", self.digest.timezone)
        with Session(self.context.engine) as session:
            digest = build_digest(
                session,
                week,
                top=self.digest.top_signatures,
                examples=self.digest.examples,
                link=archive_link(self.workspace_url(call.client)),
                fix_window_weeks=self.digest.fix_window_weeks,
                response=self.context.settings.file.response,
            )
        note = (
            f"Preview, only for you: {week.label} so far. The digest itself is posted "
            f"{self.digest.day.capitalize()} {self.digest.time} ({self.digest.timezone})."
        )
        blocks = digest_blocks(digest)
        # In place of the footer, which points at a chart that only the posted digest has.
        blocks[-1] = {"type": "context", "elements": [{"type": "mrkdwn", "text": note}]}
        return Reply(fallback_text(digest), blocks)

    def _silence(self, call: Invocation) -> Reply:
        """Spike alert silences (digests.alerts): set one, list those in force, lift them."""
        now = datetime.now(UTC)
        with Session(self.context.engine) as session:
            match [word.lower() for word in call.args]:
                case ["list"]:
                    return Reply(self._silence_list(silences(session, now)))
                case ["off", domain]:
                    lifted = lift_silences(session, domain, now)
                    if not lifted:
                        return Reply(f"No silence on `{domain}` was in force: nothing changed.")
                    return Reply(f"Spike alerts for `{domain}` are on again.")
                case [domain, duration]:
                    try:
                        ends = silence(session, domain, parse_duration(duration), now=now)
                    except ValueError as exc:
                        raise ValueError(f"Cannot silence: {exc}. {SILENCE_USAGE}") from None
                    watched = self.context.settings.file.alerts.domains
                    note = (
                        ""
                        if domain in watched
                        else f" (Spike checks watch {', '.join(f'`{d}`' for d in watched)} "
                        f"only: add `{domain}` to [alerts] domains for this to matter.)"
                    )
                    return Reply(
                        f"Spike alerts for `{domain}` are silenced in every cohort until "
                        f"{self._local(ends)}. `/friction silence off {domain}` lifts it.{note}"
                    )
                case _:
                    raise ValueError(SILENCE_USAGE)

    def _silence_list(self, found: list[Silence]) -> str:
        if not found:
            return "No silences: every watched domain alerts."
        lines = [
            f"• `{s.domain}` ({f'cohort {s.cohort}' if s.cohort else 'every cohort'}) "
            f"until {self._local(s.until)}"
            for s in found
        ]
        return "Silenced spike alerts:\n" + "\n".join(lines)

    def _local(self, moment: datetime) -> str:
        """A moment in the course's timezone, as a TA reads it: `Wed 2 Dec 14:30 (UTC)`."""
        zone = self.digest.timezone
        return f"{moment.astimezone(ZoneInfo(zone)):%a %-d %b %H:%M} ({zone})"

    def _fix(self, call: Invocation) -> Reply:
        window = timedelta(weeks=self.digest.fix_window_weeks)
        return Reply(slash_fix(self.context, call.args, call.user_id, call.role, window))

    def _hints(self, call: Invocation) -> Reply:
        return Reply(switch_command(self.context, call.user_id, call.args))


def _note(words: list[str]) -> str | None:
    return " ".join(words) or None
