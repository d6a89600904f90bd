"""Running `friction` as a user does: real files, real exit codes, stdout and stderr apart.

`friction()` runs the command line in this process (Typer's test runner, as sqlite-utils'
tests do): the same Typer app the console script runs, a second faster than a new process.
`friction_process()` runs it as a new process, for what only a process shows (the console
script's entry point, signals, a terminal).
"""

import os
import subprocess
import sys
import traceback
from contextlib import chdir, nullcontext
from dataclasses import dataclass
from pathlib import Path

from typer.testing import CliRunner

from bot.cli.main import app


@dataclass(frozen=True)
class Result:
    """What a finished `friction` command left: the shape of `subprocess.CompletedProcess`."""

    returncode: int
    stdout: str
    stderr: str


def friction(*args: str, env: dict | None = None, cwd: Path | None = None) -> Result:
    """Run `friction ARGS` in this process; `env` adds variables (None unsets one)."""
    with chdir(cwd) if cwd is not None else nullcontext():
        result = CliRunner().invoke(app, list(args), env=env, prog_name="friction")
    stderr = result.stderr
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        stderr += "".join(traceback.format_exception(result.exception))
    return Result(result.exit_code, result.stdout, stderr)


def friction_process(*args: str, env: dict | None = None, cwd: Path | None = None):
    """Run `friction` (as `python -m bot`, the console script's entry point) in a new process."""
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={k: v for k, v in {**os.environ, **(env or {})}.items() if v is not None},
        timeout=120,
    )
