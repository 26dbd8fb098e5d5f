"""Migrations run up and down on SQLite and PostgreSQL, and match the models exactly."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text

from mediamill.db import open_database
from mediamill.db.migrate import current_revision, downgrade, head_revision, upgrade
from mediamill.db.models import Base
from mediamill.db.revisions import shipped_head
from mediamill.db.session import Database

TABLES = {"jobs", "artifacts", "api_keys", "webhook_deliveries"}


def test_upgrade_then_downgrade_then_upgrade(db_url):
    database = Database(db_url)
    upgrade(database.engine)
    assert current_revision(database.engine) == head_revision()
    assert TABLES <= set(inspect(database.engine).get_table_names())

    downgrade(database.engine, "base")
    assert current_revision(database.engine) is None
    assert not TABLES & set(inspect(database.engine).get_table_names())

    upgrade(database.engine)
    assert TABLES <= set(inspect(database.engine).get_table_names())
    database.dispose()


def test_models_match_the_migrations(db_url):
    # Given the schema built by the migrations, autogenerate finds nothing left to migrate.
    database = Database(db_url)
    upgrade(database.engine)
    dialect = database.engine.dialect.name

    def built_here(obj, _name, _type, reflected, _compare_to) -> bool:
        # An index declared for one dialect only (ddl_if) is not expected on the others.
        only = getattr(obj, "_ddl_if", None)
        return reflected or only is None or only.dialect in (None, dialect)

    with database.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True, "include_object": built_here})
        diff = compare_metadata(context, Base.metadata)
    # Column comments are documentation (PostgreSQL stores them, SQLite does not): not a schema mismatch.
    changes = [op for op in diff if not (isinstance(op, list) and all(o[0] == "modify_comment" for o in op))]
    assert changes == []
    database.dispose()


def test_open_database_migrates_once_even_when_raced(db_url):
    errors = []

    def migrate():
        try:
            database = Database(db_url)
            database.migrate()
            database.dispose()
        except Exception as exc:  # noqa: BLE001 - collected for the assertion
            errors.append(exc)

    threads = [threading.Thread(target=migrate) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []


def test_default_database_is_sqlite_in_wal_mode_inside_the_data_dir(settings):
    database = open_database(settings)
    assert database.url == f"sqlite:///{settings.resolved_data_dir / 'mediamill.db'}"
    with database.engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
    assert current_revision(database.engine) == head_revision()


def test_the_shipped_head_read_from_the_files_is_alembics():
    assert shipped_head() == head_revision()


REOPEN = '''
import json, sys
from mediamill.db import open_database
from mediamill.settings import Settings
open_database(Settings(data_dir=sys.argv[1]))
print(json.dumps("alembic" in sys.modules))
'''


def test_a_database_at_head_opens_without_alembic(tmp_path):
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("MEDIAMILL_")},
           "MEDIAMILL_CONFIG": "/nonexistent/mediamill.toml"}

    def open_in_a_new_process() -> bool:
        done = subprocess.run([sys.executable, "-c", REOPEN, str(tmp_path / "data")], capture_output=True,
                              text=True, env=env, timeout=300)
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)

    assert open_in_a_new_process() is True  # a new database: Alembic creates the schema
    assert open_in_a_new_process() is False  # at head: one query, no Alembic
