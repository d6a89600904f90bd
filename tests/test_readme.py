"""The README's command table is the command line: every command listed, and nothing else.

A command added without a README line, or a README line left for a command that is gone,
fails here, and every listed command must answer `--help`.
"""

import re

import typer
from support.friction_cli import friction
from support.readme import first_cells, section

from bot.cli.main import app

# A token that is part of a command's name, not an argument or option: `alerts`, `forget-user`.
_NAME = re.compile(r"[a-z][a-z-]*")


def readme_commands() -> set[str]:
    """Commands named in the first column of the README's command table, e.g. `alerts check`."""
    commands = set()
    for cell in first_cells(section("Command line")):
        for span in re.findall(r"`([^`]+)`", cell):
            words = span.removeprefix("friction ").split()
            name = []
            for word in words:
                if not _NAME.fullmatch(word):
                    break
                name.append(word)
            commands.add(" ".join(name))
    return commands


def app_commands() -> set[str]:
    """Every command `friction` runs, sub-commands spelt in full (`db upgrade`)."""

    def walk(command, path: tuple[str, ...]):
        children = getattr(command, "commands", None)
        if children is None:
            yield " ".join(path)
            return
        for name, child in children.items():
            yield from walk(child, (*path, name))

    return set(walk(typer.main.get_command(app), ()))


def test_the_readme_lists_every_command_and_no_other():
    listed, existing = readme_commands(), app_commands()
    assert existing - listed == set(), "commands the README's table does not list"
    assert listed - existing == set(), "commands the README lists that do not exist"


def test_every_listed_command_answers_help():
    for command in sorted(readme_commands()):
        result = friction(*command.split(), "--help")
        assert result.returncode == 0, (command, result.stderr)
        assert "Usage: friction " + command in " ".join(result.stdout.split()), command
