"""The Alembic migrations: they make exactly the models' schema (on whichever database the suite runs), an
older schema is refused with how to upgrade it, and ``onething db upgrade`` / ``--upgrade`` /
``ONETHING_AUTO_UPGRADE=1`` bring it up to date."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from engine.bootstrap import ready_context
from engine.cli import main
from engine.persistence import migrations
from engine.persistence.database import SchemaOutdated, create_schema, make_engine, schema_status
from engine.persistence.models import Base
from tests.support.databases import empty_database


@pytest.fixture
def empty_url(tmp_path):
    with empty_database(tmp_path) as url:
        yield url


@pytest.fixture
def engine(empty_url):
    engine = make_engine(empty_url)
    yield engine
    engine.dispose()


def differences(engine) -> list:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True, "compare_server_default": True})
        return compare_metadata(context, Base.metadata)


def test_the_migrations_make_exactly_the_models_schema(engine):
    assert create_schema(engine).state == "empty"
    with engine.connect() as connection:
        assert schema_status(connection).state == "current"
        tables = set(inspect(connection).get_table_names())
    assert set(Base.metadata.tables) <= tables  # every model module's tables (materials included)
    assert differences(engine) == []


def test_downgrading_to_nothing_and_upgrading_again_gives_the_same_schema(engine):
    create_schema(engine)
    with engine.begin() as connection:
        command_downgrade(connection)
        assert set(inspect(connection).get_table_names()) <= {"alembic_version"}
    assert create_schema(engine).state == "empty"
    assert differences(engine) == []


def command_downgrade(connection) -> None:
    from alembic import command

    command.downgrade(migrations.config(connection), "base")


def at_older_revision(engine) -> str:
    older = migrations.scripts().get_revision(migrations.head()).down_revision
    assert older, "there is only one revision: no older schema to test with"
    with engine.begin() as connection:
        migrations.upgrade(connection, older)
    return older


def test_an_older_schema_is_refused_with_how_to_upgrade(engine, empty_url, monkeypatch, capsys):
    older = at_older_revision(engine)
    monkeypatch.delenv("ONETHING_AUTO_UPGRADE", raising=False)
    with pytest.raises(SchemaOutdated) as refused:
        ready_context(empty_url)
    message = str(refused.value)
    assert older in message and migrations.head() in message and "onething db upgrade" in message

    monkeypatch.setenv("DATABASE_URL", empty_url)
    assert main(["worker"]) == 2  # the worker does not start on the older schema: it says what to do
    assert "onething db upgrade" in capsys.readouterr().err
    assert main(["db", "current"]) == 1
    assert older in capsys.readouterr().out

    assert main(["db", "upgrade"]) == 0
    assert f"upgraded from {older} to revision {migrations.head()}" in capsys.readouterr().out
    assert main(["db", "current"]) == 0
    assert differences(engine) == []
    ready_context(empty_url)  # starts now


def test_auto_upgrade_when_told(engine, empty_url, monkeypatch):
    at_older_revision(engine)
    monkeypatch.setenv("ONETHING_AUTO_UPGRADE", "1")
    ready_context(empty_url)
    with engine.connect() as connection:
        assert schema_status(connection).state == "current"


def test_a_database_made_before_migrations_is_adopted_by_db_upgrade(engine, empty_url, monkeypatch, capsys):
    Base.metadata.create_all(engine)  # what releases before migrations did
    with pytest.raises(SchemaOutdated, match="no migration history"):
        ready_context(empty_url)
    monkeypatch.setenv("DATABASE_URL", empty_url)
    assert main(["db", "upgrade"]) == 0
    assert differences(engine) == []
    assert main(["db", "current"]) == 0
