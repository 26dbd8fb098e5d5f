"""INSERT ... ON CONFLICT for SQLite and PostgreSQL alike (both dialects spell it the same way)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session


def insert_for(session: Session, table: Table) -> Any:
    name = session.get_bind().dialect.name
    if name == "postgresql":
        return postgresql.insert(table)
    if name == "sqlite":
        return sqlite.insert(table)
    raise NotImplementedError(f"records need SQLite or PostgreSQL, not {name}")


def insert_ignore(session: Session, table: Table, rows: list[dict]) -> None:
    """Insert rows whose primary key is new; leave existing rows untouched."""
    if rows:
        session.execute(insert_for(session, table).on_conflict_do_nothing(), rows)


def upsert(session: Session, table: Table, rows: list[dict], *, defaults: dict | None = None,
           insert_only: frozenset[str] = frozenset(), where: Any = None) -> None:
    """Insert rows, or update the columns each row carries in an existing one.

    `defaults` fill columns a row lacks, for an insert only. Columns in `insert_only` are written by
    an insert, never by an update. `where(table, excluded)` may return a condition an existing row
    must meet to be updated. Rows are grouped by their column set: one statement per group.
    """
    groups: dict[tuple[str, ...], list[dict]] = {}
    for row in rows:
        groups.setdefault(tuple(sorted(row)), []).append(row)
    dialect = session.get_bind().dialect.name
    for columns, group in groups.items():
        cache_key = (dialect, table.name, columns, insert_only, where)
        statement = _statements.get(cache_key)
        if statement is None:
            statement = _statements[cache_key] = _build(session, table, columns, insert_only, where)
        session.execute(statement, [{**(defaults or {}), **row} for row in group])


# Building an ON CONFLICT statement costs more than running it for a few rows: the records writer
# flushes the same few column sets again and again, so they are built once.
_statements: dict[tuple, Any] = {}


def _build(session: Session, table: Table, columns: tuple[str, ...], insert_only: frozenset[str], where: Any) -> Any:
    keys = [column.name for column in table.primary_key.columns]
    statement = insert_for(session, table)
    updates = {name: statement.excluded[name] for name in columns if name not in keys and name not in insert_only}
    if not updates:
        return statement.on_conflict_do_nothing()
    condition = where(table, statement.excluded) if where is not None else None
    return statement.on_conflict_do_update(index_elements=keys, set_=updates, where=condition)
