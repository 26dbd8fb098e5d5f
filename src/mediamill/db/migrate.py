"""Run the Alembic migrations shipped in this package (no alembic.ini needed), one migrator at a time."""

from __future__ import annotations

import contextlib
import fcntl
from collections.abc import Iterator
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine

MIGRATIONS = Path(__file__).parent / "migrations"
# Any constant works; it only has to be the same in every mediamill process.
PG_LOCK_ID = 0x6D6D_6462


def alembic_config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


@contextlib.contextmanager
def _exclusive(engine: Engine) -> Iterator[Connection]:
    """A connection holding the migration lock: the API and a worker may start at the same moment."""
    if engine.dialect.name == "sqlite":
        database = engine.url.database
        lock_path = Path(database + ".migrate.lock") if database and database != ":memory:" else None
        with contextlib.ExitStack() as stack:
            if lock_path:
                handle = stack.enter_context(open(lock_path, "a"))
                fcntl.flock(handle, fcntl.LOCK_EX)
            yield stack.enter_context(engine.begin())
        return
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": PG_LOCK_ID})
        yield connection


def upgrade(engine: Engine, revision: str = "head") -> None:
    with _exclusive(engine) as connection:
        command.upgrade(alembic_config(connection), revision)


def downgrade(engine: Engine, revision: str = "base") -> None:
    with _exclusive(engine) as connection:
        command.downgrade(alembic_config(connection), revision)


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision() -> str | None:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config()).get_current_head()
