"""Removing artifacts for good: their bytes and metadata from the store, their records, their share links.

The one way an artifact is deleted (DELETE /v1/artifacts/{id}, the expiry purge, OLD_VARIANTS): the
store keeps a blob while another artifact still claims it, and share links of a deleted artifact are
deactivated (kept, so their counts stay readable), never left pointing at nothing.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from mediamill.db.repositories import artifacts as records
from mediamill.db.repositories import shares
from mediamill.processors.maintenance.expired import Tally, delete_from_store
from mediamill.storage.base import ArtifactStore


def remove_artifacts(store: ArtifactStore, session: Session, artifact_ids: list[str], tally: Tally,
                     reason: str) -> None:
    """Delete each artifact's bytes (a missing one is counted, not an error), then the rows."""
    for artifact_id in artifact_ids:
        delete_from_store(store, artifact_id, tally)
    records.remove(session, artifact_ids)
    tally.links += shares.deactivate_for_artifacts(session, artifact_ids, reason)
    tally.records += len(artifact_ids)
