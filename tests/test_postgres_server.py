"""The test databases themselves: usable, fresh per test, and PostgreSQL can go down and back."""

from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, select
from support.postgres_server import PostgresServer, find_bindir, pg_copy

from storage.db import open_ledger
from storage.models import Channel


def test_db_url_is_a_working_database_of_its_backend(db_url: str, request) -> None:
    engine = create_engine(db_url)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE note (body TEXT)"))
        conn.execute(text("INSERT INTO note VALUES ('hello')"))
    with engine.connect() as conn:
        assert conn.execute(text("SELECT body FROM note")).scalar_one() == "hello"
    assert engine.dialect.name == request.node.callspec.id
    engine.dispose()


def test_each_test_gets_an_empty_database_of_its_own(
    pg_url: str, request: pytest.FixtureRequest
) -> None:
    # A table made in this test's database must not be in the next empty database handed out.
    # (On SQLite `empty_db_url` is a file not yet made in the test's own tmp_path.)
    engine = create_engine(pg_url)
    assert inspect(engine).get_table_names() == []
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE leftover (id INTEGER)"))
    engine.dispose()

    for url in later_copies(request, None):
        later = create_engine(url)
        assert inspect(later).get_table_names() == []
        later.dispose()


def test_each_test_gets_its_own_copy_of_the_migrated_ledger(
    db_url: str, db_backend: str, request: pytest.FixtureRequest
) -> None:
    # A row written to this test's copy must not be in the next copy of the template.
    engine = open_ledger(db_url)
    with Session(engine) as session:
        assert session.exec(select(Channel)).all() == []
        session.add(Channel(team_id="T0", channel_id="C0MINE"))
        session.commit()
    engine.dispose()

    if db_backend == "sqlite":
        urls = [request.getfixturevalue("new_sqlite_ledger")("later.db")]
    else:
        urls = later_copies(request, request.getfixturevalue("pg_template"))
    for url in urls:
        later = open_ledger(url)
        with Session(later) as session:
            assert session.exec(select(Channel)).all() == []
        later.dispose()


def later_copies(request: pytest.FixtureRequest, template: str | None) -> list[str]:
    """URLs of PostgreSQL copies of `template` (None: empty databases) taken now, dropped after
    the test: one more than are made ahead, for those may predate what the test wrote."""
    ahead = request.getfixturevalue("pg_copies")(template).ahead
    return [pg_copy(request, template) for _ in range(ahead + 1)]


def test_drop_works_while_a_test_still_holds_a_connection(pg_server: PostgresServer) -> None:
    pg_server.create_database("held_open")
    engine = create_engine(pg_server.url("held_open"))
    with engine.connect() as conn:
        conn.execute(text("SELECT 1"))
        conn.commit()  # idle, as a pooled connection would be
        pg_server.drop_database("held_open")

    assert "held_open" not in pg_server.databases()
    engine.dispose()


def test_database_goes_down_and_comes_back_with_its_data(
    pg_server: PostgresServer, pg_url: str
) -> None:
    engine = create_engine(pg_url, pool_pre_ping=True)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE kept (n INTEGER)"))
        conn.execute(text("INSERT INTO kept VALUES (42)"))

    with pg_server.stopped(), pytest.raises(OperationalError):
        engine.connect()

    with engine.connect() as conn:
        assert conn.execute(text("SELECT n FROM kept")).scalar_one() == 42
    engine.dispose()


def test_newest_debian_server_version_is_chosen(tmp_path: Path) -> None:
    for version in ["9.6", "15", "16"]:
        bindir = tmp_path / version / "bin"
        bindir.mkdir(parents=True)
        (bindir / "pg_ctl").touch()
    (tmp_path / "17").mkdir()  # a version directory without a server is not a candidate

    assert find_bindir(tmp_path) == tmp_path / "16" / "bin"
