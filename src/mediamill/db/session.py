"""Engines and sessions: one Database per URL per process, migrated to head when first opened."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from typing import Any

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from mediamill.settings import Settings

# SQLite: WAL lets readers (the API) run beside the one writer (the records flusher);
# NORMAL sync is safe under WAL (a crash loses at most the last commits, never corrupts).
SQLITE_PRAGMAS = ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON", "busy_timeout=10000")


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    for pragma in SQLITE_PRAGMAS:
        cursor.execute(f"PRAGMA {pragma}")
    cursor.close()


# Per process (API, each worker, the CLI): at most POOL_SIZE + POOL_MAX_OVERFLOW server connections.
POOL_SIZE, POOL_MAX_OVERFLOW = 10, 20


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 10})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return create_engine(url, pool_pre_ping=True, pool_size=POOL_SIZE, max_overflow=POOL_MAX_OVERFLOW)


class Database:
    """An engine plus a session factory; `with db.session() as s:` commits on success."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    @contextlib.contextmanager
    def session(self) -> Iterator[Session]:
        with self._sessions.begin() as session:
            yield session

    def migrate(self) -> None:
        # Alembic takes ~1.8 s to import (-X importtime): only a process that migrates pays for it,
        # and a database already at the shipped head needs one query to say so.
        from mediamill.db.revisions import at_head

        if at_head(self.engine):
            return
        from mediamill.db.migrate import upgrade

        upgrade(self.engine)

    def ping(self) -> None:
        with self.engine.connect() as connection:
            connection.execute(text("SELECT 1"))

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def dispose(self) -> None:
        self.engine.dispose()


_databases: dict[str, Database] = {}
_lock = threading.Lock()


def open_database(settings: Settings, *, migrate: bool = True) -> Database:
    """The process's Database for these settings; migrated to the newest schema on first open."""
    url = settings.resolved_database_url
    with _lock:
        database = _databases.get(url)
        if database is None:
            if not settings.database_url:
                settings.resolved_data_dir  # noqa: B018 - made here: the URL itself no longer makes it
            database = Database(url)
            if migrate:
                database.migrate()
            _databases[url] = database
        return database


def close_database(settings: Settings) -> None:
    """Dispose of the cached engine (tests, shutdown)."""
    drop_cached(settings.resolved_database_url)


def drop_cached(url: str) -> None:
    with _lock:
        database = _databases.pop(url, None)
    if database is not None:
        database.dispose()
