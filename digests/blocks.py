"""The digest as a Slack message: Block Kit within Slack's limits.

Slack refuses a message with more than 50 blocks, a section text over 3,000 characters or a
header over 150. Texts are cut at a line with an ellipsis, and cohorts that do not fit are
named in one closing block, so a big course still gets its digest.
"""

from __future__ import annotations

from typing import Any

from digests.model import Digest, DomainLine, Section
from digests.report import duration, fixed_width
from digests.response import waiting_text
from storage.hint_queries import hint_rate_line

MAX_BLOCKS = 50
MAX_TEXT = 3000
MAX_HEADER = 150
Block = dict[str, Any]


def digest_blocks(digest: Digest) -> list[Block]:
    """Header, summary, domain table, top signatures, then one block per cohort that fits."""
    overall = digest.overall
    blocks: list[Block] = [
        {"type": "header", "text": _plain(f"Friction digest · {digest.label}", MAX_HEADER)},
        _section(summary_line(overall)),
    ]
    if overall.domains:
        blocks.append(_section(f"```\n{domain_table(overall.domains)}\n```"))
    if overall.waiting:
        blocks.append(_section(section_waiting(overall, digest.nudge_after)))
    if overall.signatures:
        blocks += [{"type": "divider"}, _section("*Top failure modes*")]
        blocks += [_section(_signature_text(s)) for s in overall.signatures]
    if digest.fixes:
        fixes = "\n".join(f"• *{f.heading}*\n{f.summary}" for f in digest.fixes)
        blocks += [{"type": "divider"}, _section(f"*Fixes: before and after*\n{fixes}")]
    if digest.hints:
        hints = "\n".join(f"• {hint_rate_line(h)}" for h in digest.hints)
        blocks += [_section(f"*Hints in threads*\n{hints}")]
    footer = {
        "type": "context",
        "elements": [
            {
                "type": "mrkdwn",
                "text": f"Chart in the thread · `friction digest --period {digest.period}`",
            }
        ],
    }
    if digest.cohorts:
        blocks += [{"type": "divider"}, _section("*By cohort*")]
        room = MAX_BLOCKS - len(blocks) - 1  # the footer
        shown = digest.cohorts if len(digest.cohorts) <= room else digest.cohorts[: room - 1]
        blocks += [_section(_cohort_text(c)) for c in shown]
        rest = digest.cohorts[len(shown) :]
        if rest:
            names = ", ".join(c.cohort or "-" for c in rest)
            blocks.append(_section(f"…and {len(rest)} more cohorts: {names}"))
    blocks.append(footer)
    return blocks


def fallback_text(digest: Digest) -> str:
    """The notification text (and what screen readers get first)."""
    return f"Friction digest {digest.period}: {summary_line(digest.overall).replace('*', '')}"


def summary_line(section: Section) -> str:
    change = signed(section.incidents - section.previous_incidents)
    return " · ".join(
        (
            f"*{section.incidents} incidents* ({change} vs the week before)",
            f"*{section.downtime_hours:.1f} h* learners blocked",
            f"*{section.open_incidents}* still open",
            f"*{section.awaiting_triage}* awaiting triage",
        )
    )


def domain_table(domains: list[DomainLine]) -> str:
    """A fixed-width table, readable in Slack's code block and in a terminal."""
    rows = [("Component", "Incidents", "Share", "Hours", "Median", "Change")]
    rows += [
        (
            d.label,
            str(d.incidents),
            f"{d.share * 100:.1f}%",
            f"{d.downtime_hours:.1f}",
            duration(d.median_minutes_to_resolve),
            signed(d.change),
        )
        for d in domains
    ]
    return fixed_width(rows)


def section_waiting(section: Section, nudge_after: str, *, markup: bool = True) -> str:
    """Who in the section waited for a human (`digests.response.waiting_text`)."""
    labels = {d.domain: d.label for d in section.domains}
    return waiting_text(section.waiting, labels, nudge_after, markup=markup)


def _signature_text(s) -> str:
    lines = [f"*{s.title}* `{s.signature}` · {s.incidents} incidents"]
    if s.hint:
        lines.append(f"> {s.hint}")
    if s.examples:
        lines.append(" · ".join(f"<{url}|thread {i}>" for i, url in enumerate(s.examples, 1)))
    return "\n".join(lines)


def _cohort_text(c: Section) -> str:
    top = ", ".join(f"{d.label} {d.incidents}" for d in c.domains[:3] if d.incidents)
    text = f"*{c.cohort}*: {summary_line(c)}" + (f"\nMost friction: {top}" if top else "")
    if c.waiting:
        first = c.waiting[0]
        text += (
            f"\nFirst response: median {duration(first.median_minutes)},"
            f" p90 {duration(first.p90_minutes)}; {first.unanswered_at_end} unanswered at the end"
        )
    return text


def signed(n: int) -> str:
    return f"+{n}" if n > 0 else ("±0" if n == 0 else str(n))


def _section(text: str) -> Block:
    return {"type": "section", "text": {"type": "mrkdwn", "text": _fit(text, MAX_TEXT)}}


def _plain(text: str, limit: int) -> dict[str, Any]:
    return {"type": "plain_text", "text": _fit(text, limit)}


def _fit(text: str, limit: int) -> str:
    """`text` within `limit` characters: cut at a line break where possible, marked with …"""
    if len(text) <= limit:
        return text
    fence = "\n```" if text.startswith("```") else ""
    cut = text[: limit - len(fence) - 1]
    if "\n" in cut[limit // 2 :]:
        cut = cut[: cut.rindex("\n")]
    return cut + "…" + fence
