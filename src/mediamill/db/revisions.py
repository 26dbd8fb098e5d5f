"""Whether a database is at the newest shipped schema, known without importing Alembic.

Every process that opens the database (each `mediamill submit`, every worker) used to run Alembic's
upgrade to learn that nothing was to do: ~1.8 s of imports under load. The shipped head is read from
the migration files' `revision` / `down_revision` lines; when the stored revision is that head, nothing
runs. Anything unusual (no version table, several heads, a merge) leaves the answer to Alembic.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import Engine

VERSIONS = Path(__file__).parent / "migrations" / "versions"
_REVISION = re.compile(r"""^revision\s*(?::[^=\n]+)?=\s*["']([^"']+)["']""", re.M)
_DOWN_REVISION = re.compile(r"""^down_revision\s*(?::[^=\n]+)?=\s*["']([^"']+)["']""", re.M)


@cache
def shipped_head() -> str | None:
    """The one revision no other migration builds on; None when that is not a single plain one."""
    revisions, parents = set(), set()
    for path in VERSIONS.glob("*.py"):
        source = path.read_text(encoding="utf-8")
        found = _REVISION.search(source)
        if found:
            revisions.add(found.group(1))
        parents.update(_DOWN_REVISION.findall(source))
    heads = revisions - parents
    return next(iter(heads)) if len(heads) == 1 else None


def at_head(engine: Engine) -> bool:
    """True when the database says it is at the shipped head (then no migration can be due)."""
    head = shipped_head()
    if head is None:
        return False
    try:
        with engine.connect() as connection:
            stored = {row[0] for row in connection.execute(text("SELECT version_num FROM alembic_version"))}
    except Exception:  # noqa: BLE001 - a new database (no version table yet): Alembic creates it
        return False
    return stored == {head}
