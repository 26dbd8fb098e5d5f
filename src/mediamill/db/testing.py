"""Test helpers for the records: a throwaway PostgreSQL database per test, skipped when none is reachable."""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Iterator

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from mediamill.db.session import drop_cached

# The CI machine's PostgreSQL (trust auth); MEDIAMILL_TEST_POSTGRES_URL points elsewhere.
DEFAULT_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def postgres_admin_url() -> str:
    return os.environ.get("MEDIAMILL_TEST_POSTGRES_URL", DEFAULT_ADMIN_URL)


def postgres_unreachable_reason() -> str | None:
    """Why PostgreSQL tests cannot run here, or None when the server answers."""
    try:
        engine = create_engine(postgres_admin_url(), connect_args={"connect_timeout": 2})
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        engine.dispose()
    except Exception as exc:  # noqa: BLE001 - any failure means "not here"
        return f"PostgreSQL at {postgres_admin_url()} is unreachable: {str(exc).splitlines()[0]}"
    return None


@contextlib.contextmanager
def throwaway_postgres() -> Iterator[str]:
    """A fresh, empty database (URL yielded) that is dropped afterwards."""
    admin_url = postgres_admin_url()
    name = f"mediamill_test_{secrets.token_hex(6)}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        drop_cached(make_url(admin_url).set(database=name).render_as_string(hide_password=False))
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextlib.contextmanager
def settings_on(settings, backend: str):
    """`settings` as they are ("sqlite") or on a throwaway PostgreSQL database ("postgresql").

    Raises LookupError with the reason when PostgreSQL is unreachable (tests turn it into a skip).
    """
    if backend == "sqlite":
        yield settings
        return
    reason = postgres_unreachable_reason()
    if reason:
        raise LookupError(reason)
    with throwaway_postgres() as url:
        yield settings.model_copy(update={"database_url": url})


def on_each_database(request, settings):
    """Body of a `settings` fixture parametrised by backend name ("sqlite", "postgresql"):
    the settings on that backend, the test skipped with the reason where it is unreachable."""
    import pytest


    try:
        with settings_on(settings, request.param) as chosen:
            yield chosen
            drop_cached(chosen.resolved_database_url)
    except LookupError as exc:
        pytest.skip(str(exc))
