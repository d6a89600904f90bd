"""The friction report as Block Kit, for `/friction stats` and the App Home.

The domain table is the CLI's (`digests.report.table_rows`) in a code block, so Slack and the
terminal show the same figures the same way.
"""

from __future__ import annotations

from typing import Any

from classifiers import catalog
from digests.report import TABLE_HEADERS, FrictionReport, fixed_width, table_rows

Block = dict[str, Any]
MAX_HEADER = 150


def report_blocks(report: FrictionReport, title: str, top: int = 5) -> list[Block]:
    """Header, totals, the domain table (incidents, share, hours blocked) and top signatures."""
    blocks: list[Block] = [
        {"type": "header", "text": {"type": "plain_text", "text": title[:MAX_HEADER]}},
        section(summary(report)),
    ]
    if report.domains:
        blocks.append(section(f"```\n{fixed_width([TABLE_HEADERS, *table_rows(report)])}\n```"))
    if report.signatures:
        titles = {s.id: s.title for s in catalog().signatures}
        lines = [
            f"• `{s.signature}` ({s.incidents}): {titles.get(s.signature, '')}"
            for s in report.signatures[:top]
        ]
        blocks.append(section("*Top signatures*\n" + "\n".join(lines)))
    return blocks


def summary(report: FrictionReport) -> str:
    """One line of totals, also the notification text of a message carrying the blocks."""
    hours = sum(d.downtime_hours for d in report.domains)
    return (
        f"*{report.total_incidents}* incidents, *{hours:.1f} h* blocked, "
        f"{report.open_incidents} still open, {report.awaiting_triage} awaiting triage "
        f"({report.total_messages} messages)."
    )


def section(text: str) -> Block:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}
