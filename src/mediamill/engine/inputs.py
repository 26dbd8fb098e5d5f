"""Turns a job's input references into stored artifacts (fetching URL inputs with the safe fetcher)."""

from __future__ import annotations

import asyncio

from mediamill import fetcher  # its HTTP client loads with the first URL input, not with the worker
from mediamill.errors import BadInput, NotFound
from mediamill.settings import Settings
from mediamill.storage.artifact import Artifact
from mediamill.storage.base import ArtifactStore
from mediamill.storage.refs import InputRef


async def resolve_inputs(refs: list[InputRef], settings: Settings, store: ArtifactStore, job_id: str) -> list[Artifact]:
    artifacts = []
    for index, ref in enumerate(refs):
        if ref.artifact:
            try:
                artifacts.append(await asyncio.to_thread(store.stat, ref.artifact))
            except NotFound:
                raise BadInput(f"input #{index + 1}: artifact {ref.artifact!r} does not exist", field="inputs") from None
        else:
            artifacts.append(await fetcher.fetch_to_store(ref.url, settings, store, name=ref.name,
                                                  key=f"fetch/{job_id}/{index}"))
    return artifacts
