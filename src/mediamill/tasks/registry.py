"""The task registry: `@task("file.inspect", queue="assets")` maps a name to a processor and its policy."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, fields
from typing import Any, Literal, get_type_hints

from pydantic import BaseModel, ValidationError

from mediamill.constants import QUEUE_NAMES
from mediamill.errors import BadInput, ConfigError, NotFound, describe_validation_error

Isolation = Literal["inline", "thread", "process"]
_NAME = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_-]*)+$")
_QUEUE = re.compile(r"^[a-z][a-z0-9_-]*$")


class NoParams(BaseModel):
    """For tasks that take no parameters."""

    model_config = {"extra": "forbid"}


@dataclass(frozen=True)
class TaskMeta:
    """A task's name, routing and limits: what both its spec and its manifest entry say."""

    name: str
    queue: str
    isolation: Isolation
    timeout_s: float | None = None
    attempts: int | None = None
    min_inputs: int = 0
    max_inputs: int | None = None
    accepts: tuple[str, ...] = ()
    description: str = ""
    tags: tuple[str, ...] = field(default_factory=tuple)
    memory_limit_mb: int | None = None


@dataclass(frozen=True)
class TaskSpec(TaskMeta):
    """A registered task: its metadata, its function and its params model."""

    fn: Callable[..., Any] = field(kw_only=True)
    params_model: type[BaseModel] = field(kw_only=True)

    @property
    def is_async(self) -> bool:
        return inspect.iscoroutinefunction(self.fn)

    def parse_params(self, raw: dict | None) -> BaseModel:
        """Validated params, or BadInput naming every offending field."""
        if raw is not None and not isinstance(raw, dict):
            raise BadInput(f"params of {self.name} must be an object, got {type(raw).__name__}", field="params")
        try:
            return self.params_model.model_validate(raw or {})
        except ValidationError as exc:
            errors = [{**e, "loc": (_alias_names(self.params_model, e["loc"][0]),)}
                      if e["type"] == "missing" and len(e["loc"]) == 1 else e for e in exc.errors()]
            raise BadInput(describe_validation_error(errors, prefix="params"), field="params") from None

    def schema(self) -> dict:
        return self.params_model.model_json_schema()

    def info(self) -> TaskInfo:
        cached = self.__dict__.get("_info")  # built once: the runner asks for every job
        if cached is None:
            meta = {f.name: getattr(self, f.name) for f in fields(TaskMeta)}
            cached = TaskInfo(**meta, module=self.fn.__module__, params_schema=self.schema())
            object.__setattr__(self, "_info", cached)
        return cached


@dataclass(frozen=True)
class TaskInfo(TaskMeta):
    """What is known of a task without importing its module: its metadata, its module and its params'
    JSON schema (standing in for the model). The built-in tasks' come from the generated manifest."""

    module: str = field(kw_only=True)
    params_schema: dict = field(default_factory=dict, kw_only=True)

    def schema(self) -> dict:
        return self.params_schema

    def as_dict(self) -> dict:
        return {**vars(self), "accepts": list(self.accepts), "tags": list(self.tags)}

    @classmethod
    def from_dict(cls, raw: dict) -> TaskInfo:
        return cls(**{**raw, "accepts": tuple(raw["accepts"]), "tags": tuple(raw["tags"])})


def _alias_names(model: type[BaseModel] | None, name: object) -> str:
    """`text (or tweetBody)`: a missing field named by every name it accepts (a seed's own too)."""
    fields = model.model_fields if model is not None else {}
    for field_name, info in fields.items():
        choices = getattr(info.validation_alias, "choices", None)
        if choices and name in (field_name, *choices):
            others = [c for c in choices if c != name]
            return f"{name} (or {', '.join(map(str, others))})" if others else str(name)
    return str(name)


_registry: dict[str, TaskSpec] = {}


def task(
    name: str,
    *,
    queue: str,
    params: type[BaseModel] | None = None,
    isolation: Isolation | None = None,
    timeout_s: float | None = None,
    attempts: int | None = None,
    inputs: tuple[int, int | None] = (0, None),
    accepts: tuple[str, ...] = (),
    tags: tuple[str, ...] = (),
    memory_limit_mb: int | None = None,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register `fn(ctx, params) -> dict` as a task. The function stays directly callable.

    isolation: "inline" runs an async function on the worker's event loop (I/O only);
    "thread" for libraries that release the GIL; "process" (the default for sync functions)
    for CPU-heavy work, in a pool of child processes that keep loaded models between jobs.
    memory_limit_mb: the ceiling of the task process's resident memory (else the queue's); past it the
    task process is killed and the job fails, not retried. A thread task with a ceiling runs in a task
    process (that is where memory can be watched); an inline task cannot have one.
    """
    if not _NAME.match(name):
        raise ConfigError(f"task name {name!r} must look like 'family.verb' (lowercase, dotted)")
    # A queue outside the built-in table is fine: it is declared in settings ([queues.NAME]); until it
    # is, submitting to it fails with NotFound naming the known queues (Settings.policy).
    if not _QUEUE.match(queue):
        raise ConfigError(f"task {name!r}: queue name {queue!r} must be lowercase letters, digits, '_' or '-' "
                          f"(built-in queues: {', '.join(QUEUE_NAMES)})")

    def register(fn: Callable[..., Any]) -> Callable[..., Any]:
        existing = _registry.get(name)
        if existing is not None and (existing.fn.__module__, existing.fn.__qualname__) != (
            fn.__module__, fn.__qualname__,
        ):
            raise ConfigError(f"task {name!r} is registered twice ({existing.fn.__module__} and {fn.__module__})")
        model = params or _params_from_annotation(fn) or NoParams
        mode: Isolation = isolation or ("inline" if inspect.iscoroutinefunction(fn) else "process")
        if mode == "inline" and not inspect.iscoroutinefunction(fn):
            raise ConfigError(f"task {name!r}: isolation 'inline' needs an async function")
        if mode != "inline" and inspect.iscoroutinefunction(fn):
            raise ConfigError(f"task {name!r}: an async function can only run inline")
        if mode == "inline" and memory_limit_mb:
            raise ConfigError(f"task {name!r}: memory_limit_mb needs a task process, and an inline task runs on "
                              "the worker's event loop (make it a sync function with isolation 'thread' or "
                              "'process')")
        _registry[name] = TaskSpec(
            name=name, fn=fn, queue=queue, params_model=model, isolation=mode,
            timeout_s=timeout_s, attempts=attempts, min_inputs=inputs[0], max_inputs=inputs[1],
            accepts=accepts, description=(inspect.getdoc(fn) or "").strip(), tags=tags,
            memory_limit_mb=memory_limit_mb,
        )
        return fn

    return register


def _params_from_annotation(fn: Callable[..., Any]) -> type[BaseModel] | None:
    try:
        hints = get_type_hints(fn)
    except Exception:  # noqa: BLE001 - unresolvable annotations: fall back to NoParams
        return None
    hint = hints.get("params")
    return hint if isinstance(hint, type) and issubclass(hint, BaseModel) else None


# -- discovery ----------------------------------------------------------------------------
# The registry knows no processor: the composition root (mediamill.composition) names the packages
# and modules whose tasks a process loads. Sources it also *declares* (with a manifest of their
# tasks' metadata) are imported one module at a time, when a task of that module is first looked
# up; the other sources are imported whole on the first lookup.
_sources: list[str] = []
_imported: set[str] = set()
_unavailable: dict[str, str] = {}
_declared: dict[str, TaskInfo] = {}
_declared_sources: set[str] = set()


def add_task_sources(sources: Iterable[str]) -> None:
    """Packages (walked) or modules whose `@task` functions the registry loads on first use."""
    for source in sources:
        if source not in _sources:
            _sources.append(source)


def declare_tasks(infos: Iterable[TaskInfo], sources: Iterable[str]) -> None:
    """Tasks known before their modules are imported; `sources` are the task sources they cover."""
    for info in infos:
        _declared.setdefault(info.name, info)
    _declared_sources.update(sources)


def task_sources() -> tuple[str, ...]:
    """What this process loads tasks from (a worker passes it to its child processes)."""
    return tuple(_sources)


def registry_state() -> dict:
    """Sources and declarations, in picklable form: a task process starts from its worker's."""
    return {"sources": list(_sources), "declared": [info.as_dict() for info in _declared.values()],
            "declared_sources": sorted(_declared_sources)}


def restore_registry_state(state: dict) -> None:
    add_task_sources(state["sources"])
    declare_tasks(map(TaskInfo.from_dict, state["declared"]), state["declared_sources"])


def load_tasks() -> dict[str, TaskSpec]:
    """Import every task source not imported yet (declared ones too); returns the registry.

    A module whose import fails (an optional library missing) is recorded
    in `unavailable_families()` with its error, and the other families still load.
    """
    _load_sources(_sources)
    return dict(_registry)


def _load_sources(sources: Iterable[str]) -> None:
    for source in sources:
        if source not in _imported:
            _imported.add(source)
            for module in _modules_of(source):
                _import_family(module)


def _undeclared_sources() -> list[str]:
    return [source for source in _sources if source not in _declared_sources]


def _modules_of(source: str) -> list[str]:
    try:
        package = importlib.import_module(source)
    except ImportError as exc:
        _unavailable[source] = _describe_import_error(exc)
        return []
    path = getattr(package, "__path__", None)
    if path is None:
        return []
    return [info.name for info in pkgutil.walk_packages(path, source + ".", onerror=_record_walk_error)]


def _record_walk_error(name: str) -> None:
    # walk_packages imports subpackages to look inside them; this is called when that import fails.
    error = sys.exc_info()[1]
    if not isinstance(error, ImportError):
        raise error
    _unavailable[name] = _describe_import_error(error)


def _import_family(module: str) -> None:
    try:
        importlib.import_module(module)
    except ImportError as exc:  # a family whose optional library is missing stays unavailable, loudly
        _unavailable[module] = _describe_import_error(exc)


def _describe_import_error(exc: ImportError) -> str:
    return f"{type(exc).__name__}: {exc}"


def import_task_modules(modules: Iterable[str]) -> None:
    """Import these task modules now (a task process preloads its queue's before its first job)."""
    for module in modules:
        if module not in sys.modules:
            _import_family(module)


def get_task(name: str) -> TaskSpec:
    """The task with its function and params model: imports its module (only that one) if needed."""
    spec = _registry.get(name)  # no copy of the registry: this runs for every job
    if spec is None:
        declared = _declared.get(name)
        if declared is not None:
            import_task_modules([declared.module])
        else:
            _load_sources(_undeclared_sources())
        spec = _registry.get(name)
    if spec is None:
        declared = _declared.get(name)
        problem = declared and _unavailable.get(declared.module)
        if problem:
            raise NotFound(f"task {name!r} is unavailable: {declared.module}: {problem}", field="task")
        raise NotFound(f"unknown task {name!r}; see `mediamill tasks` for the list", field="task")
    return spec


def task_info(name: str) -> TaskInfo:
    """What the engine needs to route and limit a task (queue, isolation, limits), without importing it."""
    spec = _registry.get(name)
    if spec is not None:
        return spec.info()
    declared = _declared.get(name)
    return declared if declared is not None else get_task(name).info()


def task_infos() -> dict[str, TaskInfo]:
    """Every task's metadata: the declared ones from their manifest, the others from their imported specs."""
    _load_sources(_undeclared_sources())
    found = {name: spec.info() for name, spec in _registry.items() if name not in _declared}
    return {**_declared, **found}


def queue_task_modules(queue: str) -> list[str]:
    """The modules of a queue's process-isolated tasks: what its task processes import before their first job."""
    return sorted({info.module for info in task_infos().values() if info.queue == queue and info.isolation == "process"})


def unavailable_families() -> dict[str, str]:
    """Task modules that failed to import, with the error: `mediamill tasks` and GET /v1/tasks show them."""
    load_tasks()
    return dict(_unavailable)
