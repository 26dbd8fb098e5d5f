"""Every third-party library mediamill's code imports is declared in pyproject's [project].dependencies.

A library that only arrives through the dev extra (or another package's dependencies) works in the
test venv and breaks `pip install mediamill`. Imports guarded by `except ImportError` are optional;
the shipped test helpers (`testing.py` modules, run under pytest) may import the dev extra too.
"""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src" / "mediamill"


def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def declared(*extras: str) -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    requirements = project["dependencies"] + [r for extra in extras for r in project["optional-dependencies"][extra]]
    return {normalise(re.split(r"[\s<>=!~;\[(]", requirement, maxsplit=1)[0]) for requirement in requirements}


def _guarded(node: ast.Try) -> bool:
    names = set()
    for handler in node.handlers:
        kinds = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
        names |= {kind.id for kind in kinds if isinstance(kind, ast.Name)}
    return bool(names & {"ImportError", "ModuleNotFoundError"})


def unguarded_imports(tree: ast.AST) -> set[str]:
    """Top-level names of absolute imports outside `try: ... except ImportError`."""
    found: set[str] = set()

    def visit(node: ast.AST, guarded: bool) -> None:
        if isinstance(node, ast.Import) and not guarded:
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and not guarded and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
        inner = guarded or (isinstance(node, ast.Try) and _guarded(node))
        for child in ast.iter_child_nodes(node):
            # The handlers of a guarded try are the fallback path: not guarded themselves.
            visit(child, inner and not isinstance(child, ast.ExceptHandler))

    visit(tree, False)
    return found


def third_party_imports() -> dict[str, set[str]]:
    """Import name -> the source files importing it, for names that are neither stdlib nor mediamill."""
    where: dict[str, set[str]] = {}
    for path in SRC.rglob("*.py"):
        for name in unguarded_imports(ast.parse(path.read_text(encoding="utf-8"))):
            if name not in sys.stdlib_module_names and name not in ("mediamill", "__future__"):
                where.setdefault(name, set()).add(str(path.relative_to(ROOT)))
    return where


def test_every_third_party_import_is_a_declared_dependency():
    distributions = packages_distributions()
    runtime, for_tests = declared(), declared("dev")
    undeclared = {}
    for name, files in sorted(third_party_imports().items()):
        providers = {normalise(d) for d in distributions.get(name, [])}
        wanted = for_tests if all(Path(f).name == "testing.py" for f in files) else runtime
        if not providers & wanted:
            undeclared[name] = (sorted(providers) or ["<not installed>"], sorted(files)[:3])
    assert not undeclared, f"imported but not in [project].dependencies (import: (distributions, files)): {undeclared}"


def test_the_check_sees_a_guarded_import_as_optional_and_a_plain_one_as_required():
    tree = ast.parse("try:\n    import onnx\nexcept ImportError:\n    import json5\nimport yaml\n")
    assert unguarded_imports(tree) == {"json5", "yaml"}
