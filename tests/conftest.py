"""Shared fixtures: the ledger's databases, on SQLite and on a real PostgreSQL.

Migrating a ledger runs every Alembic revision, about a second; so each backend's ledger is
migrated once per session (per xdist worker) into a template, and each test gets a copy of
it: a file copy on SQLite, ``CREATE DATABASE ... TEMPLATE`` on PostgreSQL (a tenth of a
second, so made ahead and dropped after in a background thread: ``pg_copies``).
The template's lookup tables are also brought in step with the classifier's catalog, as the
first ``open_context`` on a ledger does (tens of milliseconds a test otherwise). Tests of
migrating itself ask for ``empty_db_url``.

Tests that start from a ledger with a data set in it (a storm of incidents, the demo cohort)
ask ``seeded`` for it: the data set is written once per session and backend into a template of
its own, and each test gets a copy, the same rows as if it had written them itself.
"""

import copy
import itertools
import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from support.postgres_server import PostgresServer, TemplateCopies, find_bindir, pg_copy

from bot.config import Settings
from bot.context import open_context
from storage.db import engine_for

# The fake Slack (Web API + Socket Mode) fixture, ``fake_slack``, lives with the fake; the TA
# workflow's app over HTTP, ``bot``, with its driver; the demo cohort's ledger, ``demo_ledger``,
# with its seed.
pytest_plugins = ["support.fake_slack", "support.ta_app", "support.demo_ledger"]

NO_POSTGRES = "PostgreSQL server binaries not found: install Debian's postgresql package"
BACKENDS = {"params": ["sqlite", "postgresql"], "ids": ["sqlite", "postgresql"]}


@pytest.hookimpl(wrapper=True)
def pytest_xdist_auto_num_workers(config: pytest.Config) -> Iterator[int]:
    """`-n auto` starts one worker more than cores (unless PYTEST_XDIST_AUTO_NUM_WORKERS says).

    A worker waits for a third of its time (local sockets, child processes, PostgreSQL, a
    Retry-After): on 2 cores, 3 workers ran the suite in 68 s, 2 in 85 s and 4 in 73 s.
    """
    cores = yield
    return cores if os.environ.get("PYTEST_XDIST_AUTO_NUM_WORKERS") else cores + 1


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PostgresServer]:
    """One throwaway PostgreSQL server for the whole session, started on first use.

    Missing binaries skip the PostgreSQL tests, unless FRICTION_REQUIRE_POSTGRES=1 (as in
    CI), where a silent skip would hide that one backend went untested.
    """
    bindir = find_bindir()
    if bindir is None:
        if os.environ.get("FRICTION_REQUIRE_POSTGRES") == "1":
            pytest.fail(f"{NO_POSTGRES} (FRICTION_REQUIRE_POSTGRES=1)", pytrace=False)
        pytest.skip(NO_POSTGRES)
    with PostgresServer(bindir) as server:
        yield server


def _migrate(url: str) -> None:
    """Bring the database at `url` to the newest schema, its lookup tables in step with the
    catalog, and leave no connection open to it. The salt is given, so none is stored."""
    open_context(Settings(FRICTION_SALT="template", FRICTION_CONFIG=None), url).engine.dispose()
    _checkpoint(url)


def _checkpoint(url: str) -> None:
    """On SQLite, fold the WAL into the file, so that a file copy is whole."""
    engine = engine_for(url)
    if engine.dialect.name == "sqlite":
        with engine.connect() as connection:
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite ledger, made once per session; tests get copies, never this file."""
    path = tmp_path_factory.mktemp("template") / "ledger.db"
    _migrate(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def pg_template(pg_server: PostgresServer) -> str:
    """Name of a migrated PostgreSQL database, made once per session, to copy per test."""
    name = "ledger_template"
    pg_server.create_database(name)
    _migrate(pg_server.url(name))
    return name


def _sqlite_copy(template: Path, path: Path) -> Path:
    """`path`, made a copy of the SQLite ledger file `template`."""
    shutil.copyfile(template, path)
    return path


@pytest.fixture
def new_sqlite_ledger(tmp_path: Path, sqlite_template: Path) -> Callable[[str], str]:
    """Makes migrated SQLite ledgers of this test's own: `new_sqlite_ledger("b.db")` is a URL."""
    return lambda name: f"sqlite:///{_sqlite_copy(sqlite_template, tmp_path / name)}"


@pytest.fixture
def sqlite_ledger(tmp_path: Path, sqlite_template: Path) -> Path:
    """This test's own migrated SQLite ledger file, ``ledger.db`` in its tmp_path."""
    return _sqlite_copy(sqlite_template, tmp_path / "ledger.db")


@pytest.fixture
def sqlite_url(sqlite_ledger: Path) -> str:
    """URL of this test's own migrated SQLite ledger (the file `sqlite_ledger`)."""
    return f"sqlite:///{sqlite_ledger}"


@pytest.fixture(scope="session")
def pg_copies(pg_server: PostgresServer) -> Iterator[Callable[[str | None], TemplateCopies]]:
    """`pg_copies(template)`: copies of that database (None: empty databases) made ahead in
    a background thread, which also drops them after use."""
    pools: dict[str | None, TemplateCopies] = {}

    def of(template: str | None) -> TemplateCopies:
        if template not in pools:
            pools[template] = TemplateCopies(pg_server, template)
        return pools[template]

    yield of
    for pool in pools.values():
        pool.close()


@pytest.fixture
def pg_url(request: pytest.FixtureRequest) -> str:
    """URL of a new, empty PostgreSQL database, dropped after the test."""
    return pg_copy(request, None)


@pytest.fixture
def pg_ledger_url(request: pytest.FixtureRequest, pg_template: str) -> str:
    """URL of a new PostgreSQL database copied from the migrated template, dropped after."""
    return pg_copy(request, pg_template)


@pytest.fixture(**BACKENDS)
def db_backend(request: pytest.FixtureRequest) -> str:
    """The backend, sqlite or postgresql: a test asking for a ledger runs on both."""
    return request.param


@pytest.fixture
def db_url(request: pytest.FixtureRequest, db_backend: str) -> str:
    """URL of a migrated, otherwise empty ledger of this test's own; runs on both backends."""
    if db_backend == "sqlite":
        return request.getfixturevalue("sqlite_url")
    return request.getfixturevalue("pg_ledger_url")


@pytest.fixture(**BACKENDS)
def empty_db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """URL of an empty database, not yet migrated; runs on both backends."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/empty.db"
    return request.getfixturevalue("pg_url")


Seed = Callable[[str, Path], Any]
"""Writes a data set into the migrated ledger at a URL, with any files it needs in the folder
given, and returns what the tests need to know of it (copied for each); it leaves no
connection open to the ledger."""
_SEEDED_NAMES = itertools.count(1)  # PostgreSQL templates: seeded_1, seeded_2, ...


@pytest.fixture(scope="session")
def _seeded_templates() -> dict[tuple[str, str], tuple[Any, Any]]:
    """(seed, backend) -> (template: SQLite file or PostgreSQL database name, seed's value)."""
    return {}


@pytest.fixture
def seeded(
    request: pytest.FixtureRequest,
    db_backend: str,
    tmp_path: Path,
    tmp_path_factory: pytest.TempPathFactory,
    _seeded_templates: dict[tuple[str, str], tuple[Any, Any]],
) -> Callable[[Seed], tuple[str, Any]]:
    """`seeded(seed)` is the URL of a ledger of this test's own (like `db_url`, on either
    backend) holding `seed`'s data set, and `seed`'s value. The seed runs once per session
    and backend, into a template of its own; each test gets a copy of that template."""

    def fill(seed: Seed) -> tuple[str, Any]:
        key = (f"{seed.__module__}.{seed.__qualname__}", db_backend)
        if key not in _seeded_templates:
            folder = tmp_path_factory.mktemp("seeded")
            if db_backend == "sqlite":
                template: Any = _sqlite_copy(
                    request.getfixturevalue("sqlite_template"), folder / "ledger.db"
                )
                template_url = f"sqlite:///{template}"
            else:
                pg_server = request.getfixturevalue("pg_server")
                template = f"seeded_{next(_SEEDED_NAMES)}"
                pg_server.create_database(template, request.getfixturevalue("pg_template"))
                template_url = pg_server.url(template)
            value = seed(template_url, folder)
            _checkpoint(template_url)
            _seeded_templates[key] = (template, value)
        template, value = _seeded_templates[key]
        if db_backend == "sqlite":
            url = f"sqlite:///{_sqlite_copy(template, tmp_path / 'ledger.db')}"
        else:
            url = pg_copy(request, template)
        return url, copy.deepcopy(value)

    return fill
