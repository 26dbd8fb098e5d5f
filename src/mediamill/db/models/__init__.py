"""Every table, one module per family (jobs, artifacts, keys, webhooks; pipelines add theirs here)."""

from mediamill.db.base import Base
from mediamill.db.models.artifacts import ArtifactRecord
from mediamill.db.models.jobs import JobRecord
from mediamill.db.models.keys import ApiKey
from mediamill.db.models.webhooks import WebhookDelivery

__all__ = ["ApiKey", "ArtifactRecord", "Base", "JobRecord", "WebhookDelivery"]
