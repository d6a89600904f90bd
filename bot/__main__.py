"""`python -m bot` runs the `friction` command line."""

from bot.cli import app

app(prog_name="friction")
