"""What every service needs: settings, the broker, the database and the artifact store, opened together."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from mediamill.db import Database, open_database
from mediamill.engine.broker import Broker
from mediamill.records.writer import RecordWriter
from mediamill.settings import Settings
from mediamill.storage import ArtifactStore, open_store


@dataclass
class Services:
    settings: Settings
    broker: Broker
    database: Database
    store: ArtifactStore
    # Job records written in batches off the event loop (submissions are recorded through it).
    records: RecordWriter

    @classmethod
    async def open(cls, settings: Settings, *, broker: Broker | None = None,
                   store: ArtifactStore | None = None) -> Services:
        """Open everything (or use the broker and store given); the database is migrated to head on
        first open (in a thread: it may take a moment)."""
        database = await asyncio.to_thread(open_database, settings)
        store = store or await asyncio.to_thread(open_store, settings)
        broker = broker or await asyncio.to_thread(Broker, settings)
        records = RecordWriter(database)
        records.start()
        return cls(settings=settings, broker=broker, database=database, store=store, records=records)

    async def close(self) -> None:
        await asyncio.to_thread(self.records.stop)
        await self.broker.close()
