"""`python -m bot` runs the `friction` command line."""

from bot.cli.main import app

app(prog_name="friction")
