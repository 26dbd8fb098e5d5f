"""Records: SQLAlchemy 2 models and sessions over SQLite (WAL, in the data dir) or PostgreSQL by URL."""

from mediamill.db.session import Database, open_database

__all__ = ["Database", "open_database"]
