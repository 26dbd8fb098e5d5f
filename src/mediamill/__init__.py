"""mediamill: background media and content work on BullMQ queues, offline by default."""

from mediamill.client import AsyncClient, Client, JobHandle
from mediamill.errors import BadInput, MediamillError
from mediamill.storage.artifact import Artifact
from mediamill.tasks.context import TaskContext
from mediamill.tasks.registry import task

__all__ = ["Artifact", "AsyncClient", "BadInput", "Client", "JobHandle", "MediamillError", "TaskContext", "task"]
__version__ = "0.1.0"
