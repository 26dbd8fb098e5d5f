"""The one small expression syntax of pipeline specs: `${root.path.to[0].value}` references, no eval.

Roots: `params`, `inputs`, `steps.<id>.result`, and inside a `foreach` step `item` / `index`.
A string that is exactly one reference takes the referenced value with its type; a reference inside
longer text is interpolated as text. `when` also accepts `not ${...}` and `${a} == <json literal>`.
"""

from __future__ import annotations

import json
import re
from typing import Any

from mediamill.errors import ExpressionError

__all__ = ["ExpressionError", "evaluate_condition", "references", "resolve", "split_path"]

REF = re.compile(r"\$\{\s*([A-Za-z_][\w-]*(?:\.[\w-]+|\[\d+\])*)\s*\}")
ROOTS = ("params", "inputs", "steps", "item", "index")


def split_path(ref: str) -> list[str | int]:
    parts: list[str | int] = []
    for piece in re.findall(r"[^.\[\]]+|\[\d+\]", ref):
        parts.append(int(piece[1:-1]) if piece.startswith("[") else piece)
    return parts


def references(value: Any) -> list[str]:
    """Every reference inside a (nested) value, in order."""
    if isinstance(value, str):
        return REF.findall(value)
    if isinstance(value, dict):
        return [ref for v in value.values() for ref in references(v)]
    if isinstance(value, list):
        return [ref for v in value for ref in references(v)]
    return []


def lookup(scope: dict, ref: str) -> Any:
    current: Any = scope
    walked: list[str] = []
    for part in split_path(ref):
        walked.append(f"[{part}]" if isinstance(part, int) else part)
        if isinstance(part, int) and isinstance(current, list) and -len(current) <= part < len(current):
            current = current[part]
        elif isinstance(part, str) and isinstance(current, dict) and part in current:
            current = current[part]
        else:
            raise ExpressionError(f"${{{ref}}}: nothing at {'.'.join(map(str, walked))}")
    return current


def resolve(value: Any, scope: dict) -> Any:
    """Replace every reference in a (nested) value with what it points to in `scope`."""
    if isinstance(value, str):
        whole = REF.fullmatch(value.strip())
        if whole:
            return lookup(scope, whole.group(1))
        return REF.sub(lambda m: _as_text(lookup(scope, m.group(1))), value)
    if isinstance(value, dict):
        return {k: resolve(v, scope) for k, v in value.items()}
    if isinstance(value, list):
        return [resolve(v, scope) for v in value]
    return value


def _as_text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def evaluate_condition(condition: str, scope: dict) -> bool:
    """`${ref}` (truthy), `not ${ref}`, or `${ref} == literal` / `!=` with a JSON literal."""
    text = condition.strip()
    negate = text.startswith("not ")
    if negate:
        text = text[4:].strip()
    for operator in ("==", "!="):
        if operator in text:
            left, right = (side.strip() for side in text.split(operator, 1))
            value = resolve(left, scope)
            try:
                literal = json.loads(right)
            except json.JSONDecodeError:
                literal = right
            outcome = (value == literal) if operator == "==" else (value != literal)
            return outcome != negate
    if not REF.fullmatch(text):
        raise ExpressionError(f"condition {condition!r} must be ${{ref}}, 'not ${{ref}}' or '${{ref}} == value'")
    return bool(resolve(text, scope)) != negate
