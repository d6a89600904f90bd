"""The App Home tab: this week's figures for TAs and leads, a plain explanation for everyone else.

It is rebuilt from the ledger each time someone opens it (`app_home_opened`), so it is never
older than the last click.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from bot.ta.report_blocks import report_blocks, section
from digests.report import FrictionReport
from storage.tagging import TriageItem

View = dict[str, Any]

LEARNER_TEXT = (
    "*Friction Ledger* reads the lab help channels it is invited to, so that course staff see "
    "where the labs hurt and fix them.\n\n"
    "• When you post a problem, it files it as an incident: which cloud service failed and how "
    'long you were blocked, until a ✅ or your "thanks, it works".\n'
    "• It keeps no names: your user id is stored only as a salted hash, and AWS keys, account "
    "ids, tokens and e-mail addresses are removed from the text before anything is written.\n"
    "• TAs may correct how your message was filed. Nothing here changes how you ask for help: "
    "just post in the help channel as usual."
)


def staff_home(
    report: FrictionReport,
    triage: list[TriageItem],
    link: Callable[[str, str], str],
    *,
    title: str,
    now: datetime,
    queue: str,
) -> View:
    """This week's distribution, top signatures, the threads waiting for a human (`queue`,
    docs/response.md) and the incidents awaiting a TA's triage."""
    blocks = report_blocks(report, title)
    blocks.append({"type": "divider"})
    blocks.append(section(queue))
    blocks.append(section(_triage_text(report.awaiting_triage, triage, link)))
    blocks.append(
        {
            "type": "context",
            "elements": [
                {
                    "type": "mrkdwn",
                    "text": f"Updated {now:%a %d %b %H:%M} UTC · `/friction help` for commands",
                }
            ],
        }
    )
    return {"type": "home", "blocks": blocks}


def learner_home() -> View:
    return {"type": "home", "blocks": [section(LEARNER_TEXT)]}


def _triage_text(total: int, items: list[TriageItem], link: Callable[[str, str], str]) -> str:
    if not items:
        return (
            "*Awaiting triage*\nNothing: every incident this week was classified with confidence."
        )
    lines = [
        f"• <{link(i.channel_id, i.root_ts)}|{i.opened_at:%a %H:%M}> in <#{i.channel_id}>: "
        f"`{i.signature_id}`, {i.confidence:.0%} sure"
        for i in items
    ]
    more = f"\n…and {total - len(items)} more." if total > len(items) else ""
    return (
        f"*Awaiting triage* ({total}): the classifier was unsure. Open one and use "
        "⋯ → *Tag friction* to confirm or correct it.\n" + "\n".join(lines) + more
    )
