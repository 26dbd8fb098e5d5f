"""Regenerate the generated blocks of the docs from the code itself.

A generated block is the text between `<!-- generated: NAME -->` and `<!-- /generated -->` in
README.md or any docs/**/*.md; only that text is rewritten, the prose around it stays. Blocks:

  task NAME       one task: description, queue, inputs, and the params table built from the
                  same JSON schema GET /v1/tasks serves (docs/reference/tasks/<family>.md)
  task-catalog    the tasks by family, linked to their pages
  settings        the Settings fields; limits: the security limits; queues: the queue table
  http-endpoints  every endpoint of the OpenAPI spec the server serves
  errors          the error tree of mediamill/errors.py with HTTP status and retryability
  cli-commands    every `mediamill` command with its arguments, options and help
  pipeline-catalog the pipelines shipped in the package, their steps in order and what they make
  db-tables       the database tables, from the SQLAlchemy models (docstring and columns)
  redis-keys      mediamill's own Redis keys and channels, from the constants module and its comments

Every task gets a block on its family's page (a new family gets a new page). Output is stable:
sorted, no timestamps.

    .venv/bin/python scripts/gen_reference.py            # rewrite the files in place
    .venv/bin/python scripts/gen_reference.py --check    # exit 1 naming the stale files
    .venv/bin/python scripts/gen_reference.py --out DIR  # write regenerated copies under DIR
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import json
import re
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, get_args, get_origin

import typer
from pydantic import BaseModel
from pydantic_core import PydanticUndefined

import mediamill.db.models  # noqa: F401 - registers every model on Base's metadata
from mediamill import errors
from mediamill.api.main import create_app
from mediamill.cli.app import app as cli_app
from mediamill.composition import BUILTIN_TASK_SOURCES, TASK_MANIFEST, install_tasks
from mediamill.db.base import Base
from mediamill.pipelines.catalog import BUILTIN_DIR
from mediamill.pipelines.spec import parse_spec
from mediamill.pipelines.validate import validate_spec
from mediamill.processors.video.timeline import timeline_json_schema
from mediamill.security import Limits
from mediamill.services.catalog import task_catalog
from mediamill.settings import Settings
from mediamill.tasks.manifest import manifest_text
from mediamill.tasks.registry import load_tasks

ROOT = Path(__file__).resolve().parents[1]
TASKS_DIR = Path("docs/reference/tasks")
BLOCK = re.compile(r"(<!-- generated: (?P<name>[^>]+?) -->\n)(?P<body>.*?)(<!-- /generated -->)", re.S)
ENV_PREFIX = "MEDIAMILL_"


# -- small formatting helpers -------------------------------------------------------------------
def cell(text: Any) -> str:
    """One Markdown table cell: no newlines, no bare pipes."""
    return " ".join(str(text).split()).replace("|", "\\|")


def code(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return f"`{text}`" if text != "" else '`""`'


def table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "| " + " | ".join("---" for _ in header) + " |"]
    lines += ["| " + " | ".join(cell(c) for c in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def first_paragraph(text: str) -> str:
    return " ".join(text.strip().split("\n\n")[0].split())


# -- JSON schema -> params rows ------------------------------------------------------------------
def _resolve(schema: dict, defs: dict) -> dict:
    ref = schema.get("$ref")
    if ref:
        resolved = dict(defs[ref.rsplit("/", 1)[-1]])
        resolved.update({k: v for k, v in schema.items() if k != "$ref"})
        return resolved
    return schema


def _is_model(schema: dict) -> bool:
    return schema.get("type") == "object" and "properties" in schema


def type_text(schema: dict, defs: dict) -> str:
    schema = _resolve(schema, defs)
    if "enum" in schema:
        return " | ".join(code(v) for v in schema["enum"])
    if "const" in schema:
        return code(schema["const"])
    if "anyOf" in schema or "oneOf" in schema:
        options = schema.get("anyOf") or schema.get("oneOf")
        parts = [type_text(o, defs) for o in options if o.get("type") != "null"]
        nullable = any(o.get("type") == "null" for o in options)
        return " or ".join(dict.fromkeys(parts)) + (" or null" if nullable else "")
    kind = schema.get("type")
    if kind == "array":
        items = schema.get("items")
        return f"list of {type_text(items, defs)}" if items else "list"
    if kind == "object":
        if _is_model(schema):
            return schema.get("title", "object")
        extra = schema.get("additionalProperties")
        if isinstance(extra, dict):
            return f"object of {type_text(extra, defs)}"
        return "object"
    if isinstance(kind, list):
        return " or ".join(kind)
    return kind or "any"


def constraints_text(schema: dict) -> str:
    bounds = []
    for key, word in (("minimum", ">="), ("exclusiveMinimum", ">"), ("maximum", "<="),
                      ("exclusiveMaximum", "<")):
        if key in schema:
            bounds.append(f"{word} {schema[key]}")
    for key, word in (("minLength", "chars >="), ("maxLength", "chars <="), ("minItems", "items >="),
                      ("maxItems", "items <=")):
        if key in schema:
            bounds.append(f"{word} {schema[key]}")
    if "pattern" in schema:
        bounds.append(f"matches {code(schema['pattern'])}")
    return ", ".join(bounds)


def _bounds(schema: dict, defs: dict) -> str:
    """Constraints of a field, looking inside a nullable anyOf (`int | None` puts them there)."""
    schema = _resolve(schema, defs)
    found = constraints_text(schema)
    if not found and "anyOf" in schema:
        found = "; ".join(filter(None, (constraints_text(_resolve(o, defs)) for o in schema["anyOf"])))
    return found


def param_rows(schema: dict, defs: dict | None = None, prefix: str = "") -> list[list[str]]:
    defs = defs if defs is not None else schema.get("$defs", {})
    required = set(schema.get("required", []))
    rows = []
    for name, raw in schema.get("properties", {}).items():
        field = _resolve(raw, defs)
        dotted = f"{prefix}{name}"
        if name in required:
            default = "required"
        elif "default" in raw or "default" in field:
            default = code(raw.get("default", field.get("default")))
        else:
            default = ""  # a default_factory: pydantic leaves it out of the schema
        meaning = raw.get("description") or field.get("description") or ""
        bounds = _bounds(raw, defs)
        if bounds:
            meaning = f"{meaning} ({bounds})" if meaning else bounds
        rows.append([code(dotted), type_text(raw, defs), default, meaning])
        if _is_model(field):  # a nested model: its fields follow, dotted (`product.name`)
            rows += param_rows(field, defs, prefix=f"{dotted}.")
    return rows


def inputs_text(inputs: dict) -> str:
    low, high = inputs["min"], inputs["max"]
    if high == 0:
        return "none"
    if high is None:
        return f"at least {low}"
    if low == high:
        return f"exactly {low}"
    return f"{low} to {high}"


def render_task(task: dict) -> str:
    lines = [f"## `{task['name']}`", ""]
    if task["description"]:
        lines += [first_paragraph(task["description"]), ""]
    facts = f"Queue [`{task['queue']}`](../queues.md) · inputs: {inputs_text(task['inputs'])}"
    if task["accepts"]:
        facts += " · accepts " + ", ".join(code(m) for m in task["accepts"])
    lines += [facts, ""]
    rows = param_rows(task["params_schema"])
    body = "\n".join(lines) + "\n"
    if not rows:
        return body + "No params.\n\n"
    return body + table(["param", "type", "default", "meaning"], rows) + "\n"


# -- catalog, settings, limits, queues -----------------------------------------------------------
def family_of(task_name: str) -> str:
    return task_name.split(".", 1)[0]


def render_catalog(tasks: list[dict], page: Path) -> str:
    families: dict[str, list[str]] = {}
    for task in tasks:
        families.setdefault(family_of(task["name"]), []).append(task["name"])
    base = _relative(TASKS_DIR, page.parent)
    rows = []
    for family in sorted(families):
        link = f"{base}/{family}.md" if base else f"{family}.md"
        rows.append([f"[{family}]({link})", ", ".join(code(n) for n in sorted(families[family]))])
    return table(["family", "tasks"], rows) + "\n"


def _relative(target: Path, start: Path) -> str:
    parts_t, parts_s = target.parts, start.parts
    common = 0
    while common < min(len(parts_t), len(parts_s)) and parts_t[common] == parts_s[common]:
        common += 1
    up = [".."] * (len(parts_s) - common)
    return "/".join([*up, *parts_t[common:]])


def _annotation_text(annotation: Any) -> str:
    origin = get_origin(annotation)
    if origin is None:
        return getattr(annotation, "__name__", str(annotation))
    args = [a for a in get_args(annotation) if a is not type(None)]
    name = getattr(origin, "__name__", str(origin))
    if name in ("Union", "UnionType"):
        return " or ".join(_annotation_text(a) for a in args)
    if name == "Annotated":
        return _annotation_text(args[0])
    if name == "Literal":
        return " | ".join(code(a) for a in get_args(annotation))
    return f"{name}[{', '.join(_annotation_text(a) for a in args)}]"


def _default_text(field: Any) -> str:
    if field.default_factory is not None:
        value = field.default_factory()
        if isinstance(value, BaseModel):
            return "its fields' defaults"
        return "empty" if not value else code(value)
    if field.default is PydanticUndefined:
        return "required"
    if field.default is None:
        return "unset"
    value = field.default
    if isinstance(value, int) and value >= 1024**2 and value % 1024**2 == 0:  # sizes: say them in MiB/GiB too
        unit, size = ("GiB", value // 1024**3) if value % 1024**3 == 0 else ("MiB", value // 1024**2)
        return f"{code(value)} ({size} {unit})"
    return code(str(value) if isinstance(value, Path) else value)


def model_rows(model: type[BaseModel], env_prefix: str, key_prefix: str = "",
               own_page: frozenset[str] = frozenset()) -> list[list[str]]:
    """One row per field; a nested settings group's fields follow it, dotted (`email.smtp_host`)."""
    rows = []
    for name, field in model.model_fields.items():
        nested = field.annotation
        is_group = isinstance(nested, type) and issubclass(nested, BaseModel)
        meaning = field.description or (first_paragraph(nested.__doc__ or "") if is_group else "")
        rows.append([code(key_prefix + name), code(env_prefix + name.upper()), _annotation_text(field.annotation),
                     _default_text(field), meaning])
        if is_group and name not in own_page:
            rows += model_rows(nested, f"{env_prefix}{name.upper()}__", f"{key_prefix}{name}.")
    return rows


def render_settings() -> str:
    rows = model_rows(Settings, ENV_PREFIX, own_page=frozenset({"limits"}))  # limits.md lists the limits
    return table(["setting", "environment", "type", "default", "meaning"], rows) + "\n"


def render_limits() -> str:
    return table(["limit", "environment", "type", "default", "meaning"],
                 model_rows(Limits, f"{ENV_PREFIX}LIMITS__", "limits.")) + "\n"


def render_queues(tasks: list[dict]) -> str:
    by_queue: dict[str, list[str]] = {}
    for task in tasks:
        by_queue.setdefault(task["queue"], []).append(task["name"])
    rows = []
    # queues={} wins over the environment and mediamill.toml: the defaults, whatever this machine sets
    for name, policy in sorted(Settings(queues={}).policies().items()):
        rate = (f"{policy.rate_limit.max} jobs / {policy.rate_limit.duration_ms / 1000:g} s"
                if policy.rate_limit else "-")
        rows.append([code(name), str(policy.concurrency), rate, f"{policy.timeout_s:g} s", str(policy.attempts),
                     f"{policy.backoff_ms / 1000:g} s", ", ".join(code(t) for t in sorted(by_queue.get(name, [])))])
    return table(["queue", "concurrency", "rate limit", "timeout", "attempts", "backoff from", "tasks"], rows) + "\n"


def render_http_endpoints() -> str:
    with tempfile.TemporaryDirectory() as data_dir:  # building the app must not touch a real data dir
        spec = create_app(Settings(data_dir=Path(data_dir))).openapi()
    rows = []
    for path, operations in sorted(spec["paths"].items()):
        for method, operation in operations.items():
            what = first_paragraph(operation.get("description") or "") or operation.get("summary", "")
            rows.append([code(f"{method.upper()} {path}"), what])
    return table(["endpoint", "what it does"], rows) + "\n"


def _tree_notes() -> dict[str, str]:
    """The one-line notes of the tree drawn in errors.py's docstring, for classes without a docstring."""
    notes = {}
    for line in (errors.__doc__ or "").splitlines():
        match = re.match(r"^[\s│├└─]*([A-Z][A-Za-z]+)\s{2,}(.+)$", line)
        if match:
            notes[match[1]] = match[2].strip()
    return notes


def render_errors() -> str:
    notes = _tree_notes()
    rows = []

    def walk(cls: type) -> None:
        own_doc = cls.__dict__.get("__doc__")
        meaning = first_paragraph(own_doc) if own_doc else notes.get(cls.__name__, "")
        retry = "yes" if getattr(cls, "retryable", False) else "no"
        parent = code(cls.__bases__[0].__name__) if cls is not errors.MediamillError else ""
        rows.append([code(cls.__name__), parent, str(cls.status_code), retry, meaning])
        children = [c for c in cls.__subclasses__() if c.__module__ == errors.__name__]
        for child in sorted(children, key=lambda c: c.__name__):
            walk(child)

    walk(errors.MediamillError)
    return table(["error", "is a", "HTTP", "retried", "meaning"], rows) + "\n"


def _cli_rows(group: Any, prefix: list[str]) -> list[list[str]]:
    rows = []
    for name, command in sorted(group.commands.items()):
        if hasattr(command, "commands"):  # a sub-group (`mediamill keys ...`)
            rows += _cli_rows(command, [*prefix, name])
            continue
        context = command.context_class(command, info_name=name)
        arguments = [p.name.upper() if p.required else f"[{p.name.upper()}]"
                     for p in command.params if p.param_type_name == "argument"]
        options = []
        for param in command.params:
            if param.param_type_name != "option" or param.name == "as_json":
                continue
            flags, help_text = param.get_help_record(context)
            options.append(f"{code(flags)} {help_text}".strip())
        usage = " ".join([*prefix, name, *arguments])
        rows.append([code(usage), first_paragraph(command.help or ""), "<br>".join(options)])
    return rows


def render_cli() -> str:
    rows = _cli_rows(typer.main.get_command(cli_app), ["mediamill"])
    return table(["command", "what it does", "options"], rows) + "\n"


def _levels(deps: dict[str, set[str]]) -> list[list[str]]:
    """Steps grouped by how early they can start: a step comes one level after its last dependency."""
    level: dict[str, int] = {}

    def depth(step: str) -> int:
        if step not in level:
            level[step] = 1 + max((depth(d) for d in deps[step]), default=-1)
        return level[step]

    groups: dict[int, list[str]] = {}
    for step in deps:
        groups.setdefault(depth(step), []).append(step)
    return [groups[i] for i in sorted(groups)]


def render_pipelines() -> str:
    rows = []
    for path in sorted([*BUILTIN_DIR.glob("*.yaml"), *BUILTIN_DIR.glob("*.yml"), *BUILTIN_DIR.glob("*.json")]):
        spec = parse_spec(path)
        plan = validate_spec(spec, require_tasks=False)

        def shown(step: str, spec: Any = spec) -> str:
            return code(spec.steps[step].task) + (" (per item)" if spec.steps[step].foreach else "")

        steps = " -> ".join(" ‖ ".join(shown(s) for s in group) for group in _levels(plan.deps))
        rows.append([code(spec.name), steps, spec.description])
    return table(["pipeline", "steps (‖ runs side by side)", "what it makes"], rows) + "\n"


def render_db_tables() -> str:
    rows = []
    for mapper in sorted(Base.registry.mappers, key=lambda m: m.class_.__tablename__):
        model = mapper.class_
        columns = ", ".join(code(c.name) for c in model.__table__.columns)
        rows.append([code(model.__tablename__), first_paragraph(model.__doc__ or ""), columns])
    return table(["table", "what", "columns"], rows) + "\n"


def _constants_module() -> Any:
    """The module that builds every Redis key (the layer work moves it from the engine to the ground)."""
    for name in ("mediamill.constants", "mediamill.engine.constants"):
        try:
            return importlib.import_module(name)
        except ModuleNotFoundError:
            continue
    raise SystemExit("no mediamill constants module found")


def render_redis_keys() -> str:
    module = _constants_module()
    source = inspect.getsource(module)
    prefix = module.KEY_PREFIX
    rows = []
    # `# comment` lines right above `NAME = f"{KEY_PREFIX}:..."`: the key and what it is for
    for match in re.finditer(r"((?:^# .*\n)+)^([A-Z_]+) = f\"\{KEY_PREFIX\}:", source, re.M):
        comment = " ".join(line[2:].strip() for line in match[1].splitlines()).replace("<", "&lt;")
        rows.append([code(getattr(module, match[2])), comment])
    # functions that build one key per job or run: their pattern and docstring (or the comment above)
    for match in re.finditer(r"^def ([a-z_]+)\(([a-z_]+): str\) -> str:\n(?:    \"\"\"(.+?)\"\"\"\n)?"
                             r"    return f\"(.+?)\"", source, re.M):
        pattern = match[4].replace("{KEY_PREFIX}", prefix)
        for name in re.findall(r"\{([A-Z_]+)\}", pattern):
            pattern = pattern.replace(f"{{{name}}}", getattr(module, name))
        pattern = pattern.replace(f"{{{match[2]}}}", f"<{match[2].replace('_', ' ')}>")
        rows.append([code(pattern), match[3] or f"one per {match[2].removesuffix('_id')} (`{match[1]}`)"])
    rows.sort(key=lambda row: row[0])
    return table(["key", "what"], rows) + "\n"


# -- the files ------------------------------------------------------------------------------------
def doc_files(root: Path) -> list[Path]:
    files = [root / "README.md", *sorted((root / "docs").rglob("*.md"))]
    return [f for f in files if f.exists()]


def renderer_for(name: str, page: Path, tasks: dict[str, dict]) -> Callable[[], str]:
    kind, _, arg = name.partition(" ")
    if kind == "task":
        if arg not in tasks:
            raise SystemExit(f"{page}: a generated block names task {arg!r}, which is not registered: "
                             f"delete the block (and its prose), restore the task, or install what its "
                             f"module imports (`make setup`)")
        return lambda: render_task(tasks[arg])
    simple = {"task-catalog": lambda: render_catalog(list(tasks.values()), page),
              "settings": render_settings, "limits": render_limits, "http-endpoints": render_http_endpoints,
              "errors": render_errors, "cli-commands": render_cli,
              "pipeline-catalog": render_pipelines, "db-tables": render_db_tables,
              "redis-keys": render_redis_keys,
              "queues": lambda: render_queues(list(tasks.values()))}
    if kind not in simple:
        raise SystemExit(f"{page}: unknown generated block {name!r}")
    return simple[kind]


def regenerate(root: Path) -> dict[Path, str]:
    """Every generated file's new text, by path relative to root (only files that have blocks)."""
    install_tasks(Settings(task_modules=[]))  # mediamill's own tasks only, whatever this machine configures
    tasks = {t["name"]: t for t in task_catalog()}
    texts: dict[Path, str] = {}
    for path in doc_files(root):
        relative = path.relative_to(root)
        texts[relative] = path.read_text(encoding="utf-8")
    for name in sorted(tasks):  # every task has a block on its family's page
        page = TASKS_DIR / f"{family_of(name)}.md"
        text = texts.get(page, f"# {family_of(name)} tasks\n")
        if f"<!-- generated: task {name} -->" not in text:
            text = text.rstrip("\n") + f"\n\n<!-- generated: task {name} -->\n<!-- /generated -->\n"
        texts[page] = text
    out = {}
    for relative, text in texts.items():
        if "<!-- generated: " not in text:
            continue

        def fill(match: re.Match, relative: Path = relative) -> str:
            body = renderer_for(match["name"], relative, tasks)()
            return f"{match.group(1)}{body}{match.group(4)}"

        out[relative] = BLOCK.sub(fill, text)
    out[Path("src/mediamill") / TASK_MANIFEST.name] = builtin_manifest()
    out[Path("docs/timeline.schema.json")] = json.dumps(timeline_json_schema(), indent=1) + "\n"
    return out


def builtin_manifest() -> str:
    """The manifest of mediamill's own tasks, from the real registry (every family imported)."""
    builtin = [spec for spec in load_tasks().values()
               if any(spec.fn.__module__ == s or spec.fn.__module__.startswith(s + ".") for s in BUILTIN_TASK_SOURCES)]
    return manifest_text(builtin)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--root", type=Path, default=ROOT, help="the repository to read")
    parser.add_argument("--out", type=Path, help="write regenerated files under this directory instead")
    parser.add_argument("--check", action="store_true", help="only report stale files (exit 1)")
    args = parser.parse_args(argv)
    generated = regenerate(args.root)
    stale = [p for p, text in sorted(generated.items())
             if not (args.root / p).exists() or (args.root / p).read_text(encoding="utf-8") != text]
    if args.check:
        for path in stale:
            print(f"stale: {path}")
        return 1 if stale else 0
    target = args.out or args.root
    for path, text in generated.items():
        (target / path).parent.mkdir(parents=True, exist_ok=True)
        (target / path).write_text(text, encoding="utf-8")
    if not args.out:
        for path in stale:
            print(f"updated: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
