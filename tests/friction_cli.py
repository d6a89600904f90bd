"""Running `friction` as a user does: a separate process, real files, real exit codes."""

import os
import subprocess
import sys
from pathlib import Path


def friction(*args: str, env: dict | None = None, cwd: Path | None = None):
    """Run `friction` (as `python -m bot`, the console script's entry point) in a new process."""
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={k: v for k, v in {**os.environ, **(env or {})}.items() if v is not None},
        timeout=120,
    )
