"""`friction preflight`: check a learner's AWS account for the failures that hit the last cohort.

The plan (bot/preflight/plan.py) needs only the lab file and the ledger, so `--print-script`
works without boto3; running the checks imports bot/preflight/checks.py, which needs the
`aws` extra.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text
from sqlmodel import Session

from bot.cli.errors import fail, user_errors
from bot.cli.options import DbOption, db_url
from bot.config import settings
from bot.preflight.plan import (
    LabFile,
    LabFileError,
    Plan,
    check_region_name,
    incidents_table,
    load_lab_file,
    plan,
)
from bot.preflight.script import script
from classifiers import catalog
from storage.db import engine_for, open_ledger
from storage.queries import Window, top_signatures

MISSING_BOTO3 = (
    "running the checks needs boto3: pip install 'friction-ledger[aws]' "
    "(or use --print-script for a shell script that needs only the AWS CLI)"
)
MARKS = {"pass": "PASS", "fail": "FAIL", "could not check": "UNKNOWN"}
STYLES = {"pass": "green", "fail": "bold red", "could not check": "yellow"}


def preflight(
    profile: Annotated[
        str | None, typer.Option(help="AWS profile to check (default: the AWS CLI's own).")
    ] = None,
    region: Annotated[
        str | None,
        typer.Option(help="Run the checks in this region (the region check still reads yours)."),
    ] = None,
    checks: Annotated[
        Path | None,
        typer.Option(
            "--checks", help="The lab file (TOML): the lab's region, roles, buckets, log groups."
        ),
    ] = None,
    everything: Annotated[
        bool, typer.Option("--all", help="Also run the checks whose failures never happened.")
    ] = False,
    cohort: Annotated[
        str | None, typer.Option(help="Order by this cohort's incidents only.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the results as JSON.")] = False,
    print_script: Annotated[
        bool,
        typer.Option("--print-script", help="Print the checks as a bash script for the AWS CLI."),
    ] = False,
    print_incidents: Annotated[
        bool,
        typer.Option(
            "--print-incidents",
            help=r"Print the ledger's counts as an \[incidents] table to add to the lab file.",
        ),
    ] = False,
    db: DbOption = None,
) -> None:
    """Check an AWS account for what blocked the last cohort, most frequent first; exit 1 on
    any failure."""
    try:
        lab = load_lab_file(checks) if checks is not None else LabFile()
        region = check_region_name(region) if region is not None else None
    except (LabFileError, ValueError) as exc:
        raise fail(str(exc)) from None
    counts, source = _ledger_counts(db, cohort)
    if print_incidents:
        if not counts:
            raise fail(f"nothing to print: {source.split(':')[0]}")
        typer.echo(incidents_table(counts, catalog(), source.removeprefix("ordered by ")))
        return
    if not counts and lab.incidents:
        counts = dict(lab.incidents)
        source = f"ordered by {sum(counts.values())} incidents recorded in {checks}"
    the_plan = plan(lab, counts, catalog(), everything=everything, profile=profile)
    notes = [source]
    if checks is None:
        notes.append("no lab file: pass --checks lab.toml to check its roles, buckets and logs")
    the_plan = replace(the_plan, notes=(*notes, *the_plan.notes))
    if print_script:
        typer.echo(script(the_plan, profile=profile, region=region))
        return
    report = _run(the_plan, profile, region)
    if as_json:
        typer.echo(json.dumps(report.as_dict(), indent=2))
    else:
        _print(report)
    if not report.ok:
        raise typer.Exit(1)


def _ledger_counts(db: str | None, cohort: str | None) -> tuple[dict[str, int], str]:
    """Incidents per signature in the ledger, and a note saying where they come from.

    No ledger is fine (a learner has none): every check the lab file allows then runs. A
    default SQLite ledger that does not exist is not created; one named by --db must exist.
    """
    with user_errors():
        url = db_url(db) or settings().database_url
        parsed = engine_for(url).url  # a bad URL is a usage error; this connects to nothing
    file = parsed.database if parsed.get_backend_name() == "sqlite" else None
    if file not in (None, "", ":memory:") and not Path(file).exists():
        if db is not None:
            raise fail(f"no ledger at {file}")
        return {}, "no ledger: running every check the lab file allows"
    with user_errors():
        engine = open_ledger(url)
        try:
            with Session(engine) as session:
                limit = len(catalog().signatures)
                rows = top_signatures(session, Window(cohort=cohort), limit).get(None, [])
        finally:
            engine.dispose()
    counts = {row.signature: row.incidents for row in rows}
    where = f"cohort {cohort}" if cohort else "the ledger"
    if not counts:
        return {}, f"no incidents in {where}: running every check the lab file allows"
    return counts, f"ordered by {sum(counts.values())} incidents in {where}"


def _run(the_plan: Plan, profile: str | None, region: str | None):
    try:
        from botocore.exceptions import ProfileNotFound

        from bot.preflight.checks import open_session, run
    except ModuleNotFoundError as exc:
        if exc.name in ("boto3", "botocore"):
            raise fail(MISSING_BOTO3) from None
        raise
    try:
        session = open_session(profile)
    except ProfileNotFound as exc:
        raise fail(f"{exc} (see aws configure list-profiles)") from None
    return run(the_plan, session, region)


def _print(report) -> None:
    """A rich table on a terminal; plain lines (the shell script's) when piped."""
    console = Console()
    if console.is_terminal:
        table = Table("Result", "Check", "Target", title="Pre-flight checks")
        table.add_column("Detail", overflow="fold")  # a fix's command is copied whole
        table.add_column("Why", overflow="fold")
        for r in report.results:
            detail = Text(r.detail)
            if r.fix:
                detail.append("\nFix: ", style="bold").append(r.fix)
            mark = Text(MARKS[r.status.value], style=STYLES[r.status.value])
            table.add_row(mark, r.step.check, r.step.target, detail, r.step.reason)
        console.print(table)
    else:
        for r in report.results:
            label = r.step.check if r.step.resource is None else f"{r.step.check} {r.step.target}"
            typer.echo(f"{MARKS[r.status.value]:<8} {label}: {r.detail}")
            if r.fix:
                typer.echo(f"         fix: {r.fix}")
            typer.echo(f"         why: {r.step.reason}")
    for note in report.notes:
        typer.echo(f"Note: {note}")
    counts = report.counts()
    typer.echo(
        f"{counts['passed']} passed, {counts['failed']} failed, "
        f"{counts['unknown']} could not be checked."
    )
