"""The digest on a terminal, with rich: one table per section, then the top failure modes."""

from __future__ import annotations

from rich import box
from rich.console import Console
from rich.table import Table

from digests.blocks import section_waiting, signed, summary_line
from digests.model import Digest, Section
from digests.report import duration
from storage.hint_queries import hint_rate_line


def print_digest(digest: Digest, console: Console) -> None:
    console.print(f"[bold]Friction digest · {digest.label}[/bold]")
    for section in [digest.overall, *digest.cohorts]:
        _print_section(section, console)
        if section.waiting:
            text = section_waiting(section, digest.nudge_after, markup=False)
            console.print(text, markup=False, highlight=False)
            console.print()
    if digest.fixes:
        console.print("[bold]Fixes: before and after[/bold]")
    for f in digest.fixes:
        console.print(f"  {f.heading}", markup=False, highlight=False)
        console.print(f"        {f.summary}", markup=False, highlight=False, style="dim")
    if digest.hints:
        console.print("[bold]Hints in threads[/bold]")
    for h in digest.hints:
        console.print(f"  {hint_rate_line(h)}", markup=False, highlight=False)


def _print_section(section: Section, console: Console) -> None:
    title = "All cohorts" if section.cohort is None else f"Cohort {section.cohort}"
    table = Table("Component", title=title, box=box.SIMPLE_HEAD, title_justify="left")
    for header in ("Incidents", "Share", "Hours blocked", "Median to resolve", "Change"):
        table.add_column(header, justify="right")
    for d in section.domains:
        table.add_row(
            d.label,
            str(d.incidents),
            f"{d.share * 100:.1f} %",
            f"{d.downtime_hours:.1f}",
            duration(d.median_minutes_to_resolve),
            signed(d.change),
        )
    console.print(table)
    console.print(summary_line(section).replace("*", ""), highlight=False)
    for s in section.signatures:
        console.print(f"  {s.incidents:>4}  {s.signature}: {s.title}", highlight=False)
        if s.hint:
            console.print(f"        fix: {s.hint}", highlight=False, style="dim")
        for url in s.examples:
            console.print(f"        {url}", highlight=False, style="dim")
    console.print()
