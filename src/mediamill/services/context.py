"""What every service needs: settings, the broker, the database and the artifact store, opened together."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from mediamill.db import Database, open_database
from mediamill.engine.broker import Broker
from mediamill.settings import Settings
from mediamill.storage import ArtifactStore, open_store


@dataclass
class Services:
    settings: Settings
    broker: Broker
    database: Database
    store: ArtifactStore

    @classmethod
    async def open(cls, settings: Settings) -> Services:
        """Open everything; the database is migrated to head on first open (in a thread: it may take a moment)."""
        database = await asyncio.to_thread(open_database, settings)
        store = await asyncio.to_thread(open_store, settings)
        broker = await asyncio.to_thread(Broker, settings)
        return cls(settings=settings, broker=broker, database=database, store=store)

    async def close(self) -> None:
        await self.broker.close()
