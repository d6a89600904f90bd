"""The code's shape: every package imports on its own, and the import contracts hold.

An import that only works because another module happened to be imported first, or a cycle
that Python resolves only in one order, breaks a command or a worker process at random; the
contracts (`[tool.importlinter]` in pyproject.toml) keep the layering the README describes.
"""

import ast
import os
import pkgutil
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).parents[1]
PACKAGES = ("bot", "classifiers", "storage", "digests")
ENTRY_POINTS = {"bot.__main__"}  # importing it runs the command line
# `lint-imports`, as its console script runs it.
LINT_IMPORTS = "import sys; from importlinter.cli import lint_imports_command as c; sys.exit(c())"

# Each package is imported, with all its modules, in a process forked from one that has loaded
# only third-party libraries (the slow part of importing), so it starts with none of ours loaded.
ISOLATED_IMPORTS = """
import importlib, os, sys, traceback
import alembic.command, apscheduler.schedulers.background, matplotlib.pyplot, pydantic_settings
import rich.console, slack_bolt, slack_sdk, sqlalchemy, sqlmodel, typer
children = {}
for package in sys.argv[1:]:
    pid = os.fork()
    if pid == 0:
        for name in package.split(","):
            try:
                importlib.import_module(name)
            except BaseException:
                print(f"--- import {name} failed:", file=sys.stderr)
                traceback.print_exc()
                os._exit(1)
        os._exit(0)
    children[pid] = package.split(",")[0]
print(" ".join(name for pid, name in children.items() if os.waitpid(pid, 0)[1] != 0))
"""


def our_packages() -> dict[str, list[str]]:
    """Each package of ours (`bot` alone, `bot.cli`, ..., `storage`), with its modules."""
    packages: dict[str, list[str]] = {}
    for root in PACKAGES:
        packages[root] = [root]
        for module in pkgutil.walk_packages([str(ROOT / root)], prefix=f"{root}."):
            if module.name in ENTRY_POINTS:
                continue
            if module.ispkg:
                packages[module.name] = [module.name]
            else:
                owner = module.name.rpartition(".")[0]
                packages[owner if owner in packages else root].append(module.name)
    return packages


def test_every_package_imports_on_its_own():
    packages = our_packages()
    assert {"bot.cli", "bot.slack", "storage", "digests", "classifiers"} <= packages.keys()
    assert "bot.cli.main" in packages["bot.cli"]
    done = subprocess.run(
        [sys.executable, "-c", ISOLATED_IMPORTS, *(",".join(m) for m in packages.values())],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == [], done.stderr


def test_the_import_contracts_hold():
    # A process of its own: import-linter reconfigures logging, which other tests' caplog needs.
    done = subprocess.run(
        [sys.executable, "-c", LINT_IMPORTS, "--no-cache"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    linter = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    assert f"Contracts: {len(linter['contracts'])} kept" in done.stdout  # every one was run


def test_no_test_file_imports_another():
    """Shared fixtures and fakes live in conftest.py and tests/support/, not in test files."""
    tests = {p.stem for p in (ROOT / "tests").glob("test_*.py")}
    imported = {}
    for path in (ROOT / "tests").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            else:
                continue
            for name in names:
                if name.split(".")[-1] in tests or name.split(".")[0] == "tests":
                    imported[path.name] = name
    assert imported == {}
