"""Job records from the worker side: a middleware that writes job state to the database in batches."""

from mediamill.records.middleware import RecordsMiddleware
from mediamill.records.writer import RecordWriter

__all__ = ["RecordWriter", "RecordsMiddleware"]
