"""The friction report: the original analysis's table (origin.md), computed from the ledger.

Shares are computed from the counts and never rounded before they are shown, so the table
always agrees with itself (the hand-made original did not).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any, Self

from sqlmodel import Session

from storage.hint_queries import HintRate
from storage.queries import DomainPeriods, Window, message_count, overall_by_domain, top_signatures


@dataclass(frozen=True, slots=True)
class DomainRow:
    """One domain's figures over a window, as the report, App Home, `/friction stats` and (with
    the week before, `digests.model.DomainLine`) the digest show them."""

    domain: str
    label: str
    incidents: int
    share: float
    downtime_hours: float
    median_minutes_to_resolve: float | None

    @classmethod
    def of(cls, d: DomainPeriods, total: int, **more: Any) -> Self:
        """The row from the query's figures, `total` being the section's incidents; `more` are
        a subclass's own fields."""
        return cls(
            d.domain,
            d.label,
            d.incidents,
            d.incidents / total if total else 0.0,
            hours(d.downtime_seconds),
            minutes(d.median_seconds_to_resolve),
            **more,
        )


@dataclass(frozen=True, slots=True)
class SignatureRow:
    signature: str
    incidents: int


@dataclass(frozen=True, slots=True)
class FrictionReport:
    since: datetime | None
    until: datetime | None
    total_messages: int
    total_incidents: int
    open_incidents: int
    awaiting_triage: int
    domains: list[DomainRow]
    signatures: list[SignatureRow]


def build_report(session: Session, window: Window, top: int = 10) -> FrictionReport:
    """Aggregate the ledger over `window` into the friction table."""
    by_domain = overall_by_domain(session, window)
    total = sum(d.incidents for d in by_domain)
    return FrictionReport(
        since=window.since,
        until=window.until,
        total_messages=message_count(session, window),
        total_incidents=total,
        open_incidents=sum(d.open_incidents for d in by_domain),
        awaiting_triage=sum(d.awaiting_triage for d in by_domain),
        domains=[DomainRow.of(d, total) for d in by_domain],
        signatures=[
            SignatureRow(s.signature, s.incidents)
            for s in top_signatures(session, window, top).get(None, [])
        ],
    )


def hours(seconds: int) -> float:
    return round(seconds / 3600, 2)


def minutes(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / 60, 1)


def to_json(
    report: FrictionReport, hints: Sequence[HintRate] = (), waiting: Sequence[Any] = ()
) -> str:
    """The report, how the hints in learners' threads were answered, per signature, and who
    waited for a human (`digests.response.WaitingLine`s: all domains first, then each)."""
    data = asdict(report)
    for key in ("since", "until"):
        data[key] = data[key].isoformat() if data[key] else None
    data["hints"] = [
        {**asdict(rate), "no_answer": rate.no_answer, "hit_rate": rate.hit_rate} for rate in hints
    ]
    data["waiting"] = [asdict(line) for line in waiting]
    return json.dumps(data, indent=2)


DOMAIN_COLUMNS = (
    "domain",
    "label",
    "incidents",
    "share",
    "downtime_hours",
    "median_minutes_to_resolve",
)


def to_csv(report: FrictionReport) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(DOMAIN_COLUMNS)
    for row in report.domains:
        writer.writerow(asdict(row)[c] for c in DOMAIN_COLUMNS)
    return out.getvalue()


def table_rows(report: FrictionReport) -> list[tuple[str, str, str, str, str]]:
    """The friction table as display strings: component, incidents, share, hours, median."""
    rows = [
        (
            d.label,
            str(d.incidents),
            f"{d.share * 100:.1f} %",
            f"{d.downtime_hours:.1f}",
            duration(d.median_minutes_to_resolve),
        )
        for d in report.domains
    ]
    total_hours = sum(d.downtime_hours for d in report.domains)
    rows.append(
        (
            "Total",
            str(report.total_incidents),
            "100.0 %" if report.domains else "-",
            f"{total_hours:.1f}",
            "",
        )
    )
    return rows


TABLE_HEADERS = (
    "Infrastructure component",
    "Incidents",
    "% of friction",
    "Hours blocked",
    "Median to resolve",
)


def duration(minutes: float | None) -> str:
    """A time to resolve as people say it: `25 min`, `3.8 h`, or `-` when none was resolved."""
    if minutes is None:
        return "-"
    if minutes < 90:
        return f"{minutes:.0f} min"
    return f"{minutes / 60:.1f} h"


def fixed_width(rows: list[tuple[str, ...]]) -> str:
    """Rows as a fixed-width table (first column left-aligned, the others right), readable in
    Slack's code block and in a terminal; no line ends in spaces (a row whose last cells are
    empty, as the report's Total row is)."""
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return "\n".join(
        "  ".join(
            [r[0].ljust(widths[0]), *(c.rjust(w) for c, w in zip(r[1:], widths[1:], strict=True))]
        ).rstrip()
        for r in rows
    )
