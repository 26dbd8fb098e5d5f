"""Processors: the real work, one module per task family. Every module here is imported by load_tasks().

A processor knows nothing of queues, HTTP or Redis: `fn(ctx, params) -> dict`.
Import heavy libraries inside functions (or through a cached loader) so discovery stays fast.
"""
