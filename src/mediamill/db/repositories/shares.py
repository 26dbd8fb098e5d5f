"""Share link records: add, find by token hash, list per artifact, count a download atomically, deactivate."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from mediamill.db.base import utcnow
from mediamill.db.models.shares import ShareLink


def add(session: Session, link: ShareLink) -> ShareLink:
    session.add(link)
    session.flush()
    return link


def get(session: Session, share_id: str) -> ShareLink | None:
    return session.get(ShareLink, share_id)


def by_token_hash(session: Session, token_hash: str) -> ShareLink | None:
    return session.scalars(select(ShareLink).where(ShareLink.token_hash == token_hash)).first()


def for_artifact(session: Session, artifact_id: str, *, active_only: bool = False) -> list[ShareLink]:
    query = select(ShareLink).where(ShareLink.artifact_id == artifact_id)
    if active_only:
        query = query.where(ShareLink.deactivated_at.is_(None))
    return list(session.scalars(query.order_by(ShareLink.created_at.desc(), ShareLink.id)))


def recent(session: Session, *, limit: int = 100, active_only: bool = False) -> list[ShareLink]:
    query = select(ShareLink)
    if active_only:
        query = query.where(ShareLink.deactivated_at.is_(None))
    return list(session.scalars(query.order_by(ShareLink.created_at.desc(), ShareLink.id).limit(limit)))


def count_download(session: Session, share_id: str, now: datetime) -> bool:
    """One more download, if the link is still active, unexpired and under its limit: one UPDATE, so
    two requests racing for a link's last download cannot both get it."""
    result = session.execute(
        update(ShareLink)
        .where(ShareLink.id == share_id, ShareLink.deactivated_at.is_(None), ShareLink.expires_at > now,
               or_(ShareLink.max_downloads.is_(None), ShareLink.downloads < ShareLink.max_downloads))
        .values(downloads=ShareLink.downloads + 1, last_download_at=now))
    return (result.rowcount or 0) == 1


def deactivate(session: Session, share_ids: list[str], reason: str) -> int:
    if not share_ids:
        return 0
    result = session.execute(update(ShareLink).where(ShareLink.id.in_(share_ids), ShareLink.deactivated_at.is_(None))
                             .values(deactivated_at=utcnow(), deactivated_reason=reason))
    return result.rowcount or 0


def deactivate_for_artifacts(session: Session, artifact_ids: list[str], reason: str) -> int:
    total = 0
    for start in range(0, len(artifact_ids), 500):
        chunk = artifact_ids[start:start + 500]
        result = session.execute(update(ShareLink)
                                 .where(ShareLink.artifact_id.in_(chunk), ShareLink.deactivated_at.is_(None))
                                 .values(deactivated_at=utcnow(), deactivated_reason=reason))
        total += result.rowcount or 0
    return total


def expired_active(session: Session, now: datetime, limit: int) -> list[str]:
    """Ids of links past their expiry that are still marked active (EXPIRED_LINKS deactivates them)."""
    query = (select(ShareLink.id).where(ShareLink.deactivated_at.is_(None), ShareLink.expires_at <= now)
             .order_by(ShareLink.expires_at).limit(limit))
    return list(session.scalars(query))
