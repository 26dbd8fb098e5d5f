"""The seed producers' field names: params models accept camelCase (`userId`) beside snake_case."""

from __future__ import annotations

from pydantic import ConfigDict
from pydantic.alias_generators import to_camel

# Schemas (GET /v1/tasks, the reference) show the camelCase names the seeds' Node producers send.
SEED_NAMES = ConfigDict(extra="forbid", populate_by_name=True, alias_generator=to_camel)
