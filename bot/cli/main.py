"""`friction`: the command line. Each command lives in the module named for its group; this one
only assembles them, so no command module imports it back."""

from __future__ import annotations

import typer

from bot.cli import classify, digest, fixes, history, learn, ledger, preflight, run, tags

app = typer.Typer(
    name="friction",
    help="Friction Ledger: turn lab help channels into friction telemetry.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="Manage the ledger database.", no_args_is_help=True)
db_app.command("upgrade")(ledger.db_upgrade)
app.add_typer(db_app, name="db")

app.command()(ledger.demo)
app.command()(ledger.report)
app.command("classify")(classify.classify)
app.command("eval")(classify.evaluate_file)
app.command()(digest.digest)
app.add_typer(digest.alerts_app, name="alerts")
app.command()(tags.tags)
app.command("import")(history.import_)
app.command()(history.backfill)
app.command()(history.export)
app.command("forget-user")(history.forget_user_)
app.add_typer(history.retention_app, name="retention")
app.command()(learn.train)
app.command()(learn.reclassify)
app.command()(run.run)
app.command()(run.status)
app.command()(preflight.preflight)
app.add_typer(fixes.fix_app, name="fix")
