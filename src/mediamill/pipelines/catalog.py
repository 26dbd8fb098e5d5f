"""Where pipelines come from: the catalog shipped in the package, MEDIAMILL_PIPELINES_DIR, the database."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from mediamill.db.base import utcnow
from mediamill.db.models.pipelines import PipelineDefinition
from mediamill.db.session import open_database
from mediamill.errors import BadInput, NotFound
from mediamill.pipelines.spec import PipelineSpec, parse_spec
from mediamill.pipelines.validate import validate_spec
from mediamill.settings import Settings

BUILTIN_DIR = Path(__file__).parent / "catalog"


@dataclass
class CatalogEntry:
    spec: PipelineSpec
    source: str  # "builtin", "dir" or "registered"
    missing_tasks: list[str] = field(default_factory=list)
    problem: str | None = None

    @property
    def available(self) -> bool:
        return not self.missing_tasks and self.problem is None

    def describe(self) -> dict:
        spec = self.spec
        return {
            "name": spec.name, "aliases": spec.aliases, "description": spec.description, "source": self.source,
            "available": self.available, "missing_tasks": self.missing_tasks, "problem": self.problem,
            "inputs": {k: v.model_dump() for k, v in spec.inputs.items()},
            "params": spec.params_schema(),
            "steps": {k: {"task": v.task, "foreach": v.foreach, "when": v.when} for k, v in spec.steps.items()},
            "outputs": spec.outputs,
        }


def _entry(spec: PipelineSpec, source: str) -> CatalogEntry:
    try:
        plan = validate_spec(spec, require_tasks=False)
        return CatalogEntry(spec, source, sorted(set(plan.missing_tasks)))
    except BadInput as exc:
        return CatalogEntry(spec, source, [], exc.message)


def _entries_in(directory: Path, source: str) -> dict[str, CatalogEntry]:
    """One entry per spec file; a file that does not parse is listed under its file name, with why."""
    entries = {}
    for path in sorted([*directory.glob("*.yaml"), *directory.glob("*.yml"), *directory.glob("*.json")]):
        try:
            spec = parse_spec(path)
        except BadInput as exc:
            stub = PipelineSpec.model_construct(name=path.stem, description="", inputs={}, params={}, steps={},
                                                outputs={}, failure_policy="fail-fast")
            entries[path.stem] = CatalogEntry(stub, source, [], f"{path.name}: {exc.message}")
            continue
        entries[spec.name] = _entry(spec, source)
    return entries


def load_catalog(settings: Settings) -> dict[str, CatalogEntry]:
    """Every known pipeline; a registered one shadows a file one, which shadows a builtin one."""
    entries = _entries_in(BUILTIN_DIR, "builtin")
    if settings.pipelines_dir:
        if not settings.pipelines_dir.is_dir():
            raise BadInput(f"MEDIAMILL_PIPELINES_DIR {settings.pipelines_dir} is not a directory")
        entries.update(_entries_in(settings.pipelines_dir, "dir"))
    for spec in _registered(settings):
        entries[spec.name] = _entry(spec, "registered")
    return entries


def _registered(settings: Settings) -> list[PipelineSpec]:
    with open_database(settings).session() as session:
        return [PipelineSpec.model_validate(row.spec) for row in session.query(PipelineDefinition).all()]


def find_entry(catalog: dict[str, CatalogEntry], name: str) -> CatalogEntry | None:
    """The entry by its name or an alias; "Voice-Over Only" also matches voice-over-only (case and spaces aside)."""
    if name in catalog:
        return catalog[name]
    wanted = _folded(name)
    for entry in catalog.values():
        if wanted in {_folded(entry.spec.name), *map(_folded, entry.spec.aliases)}:
            return entry
    return None


def _folded(name: str) -> str:
    return "-".join(name.lower().replace("_", " ").replace("-", " ").split())


def get_pipeline(settings: Settings, name: str) -> PipelineSpec:
    entry = find_entry(load_catalog(settings), name)
    if entry is None:
        raise NotFound(f"unknown pipeline {name!r}; see `mediamill pipelines`", field="pipeline")
    if entry.problem:
        raise BadInput(f"pipeline {name} is invalid: {entry.problem}", field="pipeline")
    if entry.missing_tasks:
        raise BadInput(f"pipeline {name} is unavailable: tasks not installed: {', '.join(entry.missing_tasks)}",
                       field="pipeline")
    return entry.spec


def register_pipeline(settings: Settings, source: str | dict) -> PipelineSpec:
    """Validate a spec (every task must exist) and store it; re-registering a name replaces it."""
    spec = parse_spec(source)
    validate_spec(spec)
    text = source if isinstance(source, str) else None
    with open_database(settings).session() as session:
        row = session.get(PipelineDefinition, spec.name)
        if row is None:
            session.add(PipelineDefinition(name=spec.name, spec=spec.model_dump(mode="json"), source=text))
        else:
            row.spec, row.source, row.updated_at = spec.model_dump(mode="json"), text, utcnow()
    return spec
