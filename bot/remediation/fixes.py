"""Recording a fix, from the command line or from Slack, and `/friction fix add|list|remove`.

The target must be a catalog id (a typo gets the nearest ids), the date a past or present
moment, the cohort one the ledger knows; the description is redacted like any captured text
and the person recording it is kept only as a salted hash.
"""

from __future__ import annotations

import difflib
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine
from sqlmodel import Session

from bot.authz import Role
from bot.context import Context
from bot.ingest.privacy import redact
from bot.labels import parse_label
from bot.logs import log_event
from digests.fix_effect import effect, fix_heading
from storage.fixes import FixRow, add_fix, known_cohorts, list_fixes, remove_fix
from storage.models import Fix

log = logging.getLogger(__name__)

MAX_DESCRIPTION = 500
SLACK_LIST = 10  # fixes shown by `/friction fix list`, newest first
USAGE = (
    "Usage: `/friction fix add <signature|domain> <what changed> [--at YYYY-MM-DD] "
    "[--cohort C]`, `/friction fix list` or `/friction fix remove <number>`."
)
REFUSED = "Recording and reviewing fixes is for course leads and TAs. Nothing changed."
QUOTES = "\"'\u201c\u201d\u2018\u2019"  # straight and curly, as Slack clients may send them


class FixError(ValueError):
    """A fix that cannot be recorded as given; the message says what to type instead."""


@dataclass(frozen=True, slots=True)
class NewFix:
    target: str
    description: str
    at: str | None = None  # ISO date or time; None: now
    cohort: str | None = None


def record_fix(
    engine: Engine, new: NewFix, created_by_hash: str | None, now: datetime | None = None
) -> FixRow:
    """Check and store a fix; no `created_by_hash` means the command line."""
    now = now or datetime.now(UTC)
    label = parse_label(new.target)
    if label.dismisses:
        raise FixError("A fix targets a domain (`iam`) or a signature (`iam.passrole`).")
    description = redact(" ".join(new.description.split()))
    if not description:
        raise FixError('Say what changed, e.g. `"Lab 3 now creates LabRole"`.')
    if len(description) > MAX_DESCRIPTION:
        raise FixError(f"Keep what changed under {MAX_DESCRIPTION} characters.")
    at = parse_moment(new.at, now) if new.at else now
    with Session(engine, expire_on_commit=False) as session:
        if new.cohort is not None:
            _check_cohort(new.cohort, known_cohorts(session))
        fix = Fix(
            domain_id=label.domain,
            signature_id=label.signature,
            description=description,
            at=at,
            cohort=new.cohort,
            created_by_hash=created_by_hash,
            created_at=now,
        )
        return add_fix(session, fix)


def parse_moment(text: str, now: datetime) -> datetime:
    """`2026-10-01` (midnight UTC) or `2026-10-01T14:30[+02:00]`, not in the future."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise FixError(
            f"`--at` takes a date like 2026-10-01 or 2026-10-01T14:30, not `{text}`."
        ) from None
    moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    if moment > now:
        raise FixError(
            f"`--at {text}` is in the future: record a fix once it is live, so its effect "
            "is measured from the day it took effect."
        )
    return moment


def _check_cohort(cohort: str, known: list[str]) -> None:
    if cohort in known:
        return
    nearest = difflib.get_close_matches(cohort, known, n=3, cutoff=0.5)
    if nearest:
        hint = f"did you mean {' or '.join(f'`{c}`' for c in nearest)}?"
    elif known:
        hint = f"the ledger knows {', '.join(f'`{c}`' for c in known)}."
    else:
        hint = "no channel has a cohort yet (`[channels.cohorts]` in the config)."
    raise FixError(f"`{cohort}` is not a cohort: {hint}")


def unrecord_fix(engine: Engine, number: str, removed_by_hash: str | None) -> FixRow:
    """Remove a fix recorded by mistake, by its number (`#3` or `3`, as `fix list` shows)."""
    fix_id = number.removeprefix("#")
    if not fix_id.isdigit():
        raise FixError(f"`{number}` is not a fix number: `fix list` shows them (`#3`).")
    with Session(engine) as session:
        row = remove_fix(session, int(fix_id))
    if row is None:
        raise FixError(f"There is no fix #{fix_id}: `fix list` shows the fixes recorded.")
    log_event(log, "fix.removed", fix=row.fix.id, by=removed_by_hash or "command line")
    return row


def heading(row: FixRow) -> str:
    fix = row.fix
    return fix_heading(fix.id, fix.at, row.target, fix.cohort, fix.description)


def slash_fix(
    context: Context, words: list[str], user_id: str, role: Role, window: timedelta
) -> str:
    """`/friction fix add ...`, `fix list` and `fix remove N`, for leads and TAs."""
    if not role.can_view:
        return REFUSED
    action, rest = (words[0].lower(), words[1:]) if words else ("", [])
    if action == "list":
        return _slack_list(context, window)
    if action == "remove" and len(rest) == 1:
        row = unrecord_fix(context.engine, rest[0], context.pseudonymize(user_id))
        return f"Removed fix {heading(row)}"
    if action != "add" or len(rest) < 2:
        return USAGE
    options, words_left = _options(rest)
    # Words, not shell syntax: an apostrophe in "doesn't" must not read as a quote.
    description = " ".join(words_left[1:]).strip(QUOTES)
    new = NewFix(words_left[0], description, **options)
    row = record_fix(context.engine, new, context.pseudonymize(user_id))
    return (
        f"Recorded fix {heading(row)}\nIts before/after shows in `/friction fix list`, "
        "`friction report --fixes` and the weekly digest once a week has passed."
    )


def _options(args: list[str]) -> tuple[dict[str, str], list[str]]:
    """Pull `--at X` and `--cohort X` (anywhere) out of the words."""
    options: dict[str, str] = {}
    rest: list[str] = []
    words = iter(args)
    for word in words:
        if word[:1] in "\u2013\u2014":  # a client's smart dash for `--`
            word = "--" + word[1:]
        name = word.removeprefix("--")
        if word.startswith("--") and name in ("at", "cohort"):
            value = next(words, None)
            if value is None:
                raise FixError(f"`{word}` needs a value. {USAGE}")
            options[name] = value
        elif word.startswith("--"):
            raise FixError(f"`{word}` is not an option: use `--at` or `--cohort`. {USAGE}")
        else:
            rest.append(word)
    if len(rest) < 2:
        raise FixError(USAGE)
    return options, rest


def _slack_list(context: Context, window: timedelta) -> str:
    now = datetime.now(UTC)
    with Session(context.engine) as session:
        rows = list_fixes(session, until=now)[:SLACK_LIST]
        effects = [effect(session, row, now, window) for row in rows]
    if not rows:
        return "No fixes recorded yet. " + USAGE
    return "\n".join(f"*{heading(row)}*\n{e.summary}" for row, e in zip(rows, effects, strict=True))
