"""Every table, one module per family (jobs, artifacts, keys, messaging, webhooks, pipelines, shares).

Import a new family here: Alembic's autogenerate and the models-match-migrations test see only
the tables registered on Base.metadata.
"""

from mediamill.db.base import Base
from mediamill.db.models.analytics import AnalyticsDaily, AnalyticsEvent
from mediamill.db.models.artifacts import ArtifactRecord
from mediamill.db.models.jobs import JobRecord
from mediamill.db.models.keys import ApiKey
from mediamill.db.models.messaging import EmailMessage
from mediamill.db.models.notifications import Notification
from mediamill.db.models.pipelines import PipelineDefinition, PipelineRun, RunStep
from mediamill.db.models.shares import ShareLink
from mediamill.db.models.webhooks import WebhookDelivery

__all__ = ["AnalyticsDaily", "AnalyticsEvent", "ApiKey", "ArtifactRecord", "Base", "EmailMessage", "JobRecord", "Notification", "PipelineDefinition", "PipelineRun", "RunStep",
           "ShareLink", "WebhookDelivery"]
