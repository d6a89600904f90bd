"""Shared fixtures: the ledger's databases, on SQLite and on a real PostgreSQL."""

import os
import uuid
from collections.abc import Iterator

import pytest
from support.postgres_server import PostgresServer, find_bindir

# The fake Slack (Web API + Socket Mode) fixture, ``fake_slack``, lives with the fake; the TA
# workflow's app over HTTP, ``bot``, with its driver.
pytest_plugins = ["support.fake_slack", "support.ta_app"]

NO_POSTGRES = "PostgreSQL server binaries not found: install Debian's postgresql package"


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


@pytest.fixture
def pg_url(pg_server: PostgresServer) -> Iterator[str]:
    """URL of a new, empty PostgreSQL database, dropped after the test."""
    name = f"test_{uuid.uuid4().hex[:16]}"
    pg_server.create_database(name)
    yield pg_server.url(name)
    pg_server.start()  # a test that stopped the server must not break the next one
    pg_server.drop_database(name)


@pytest.fixture(params=["sqlite", "postgresql"], ids=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path) -> str:
    """URL of an empty ledger database; each test using it runs on both backends."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/ledger.db"
    return request.getfixturevalue("pg_url")
