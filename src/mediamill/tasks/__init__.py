"""Tasks: the registry of processors, their typed params and the context they run with."""

from mediamill.tasks.context import TaskContext
from mediamill.tasks.registry import TaskSpec, get_task, load_tasks, task

__all__ = ["TaskContext", "TaskSpec", "get_task", "load_tasks", "task"]
