"""A submit form generated from a task's params JSON schema, and the params read back from that form.

Scalars become typed inputs (number, checkbox, select for enums); nested objects and arrays become a
JSON text area. Reading back converts each field to its schema type, naming the field when it cannot.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from mediamill.errors import BadInput


@dataclass
class Field:
    name: str
    kind: str  # text | textarea | number | integer | checkbox | select | json
    label: str
    help: str
    required: bool
    value: Any
    options: list[Any] | None = None
    minimum: float | None = None
    maximum: float | None = None


def _resolve(schema: dict, root: dict) -> dict:
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/$defs/"):
        return _resolve(root.get("$defs", {}).get(ref.split("/")[-1], {}), root)
    for key in ("anyOf", "oneOf"):  # Optional[X] in pydantic: the first non-null branch
        branches = [b for b in schema.get(key, []) if b.get("type") != "null"]
        if len(branches) == 1:
            merged = {**_resolve(branches[0], root), **{k: v for k, v in schema.items() if k != key}}
            return merged
    if "allOf" in schema and len(schema["allOf"]) == 1:
        return {**_resolve(schema["allOf"][0], root), **{k: v for k, v in schema.items() if k != "allOf"}}
    return schema


def fields_for(schema: dict, values: dict | None = None) -> list[Field]:
    """Form fields for the schema's top-level properties, prefilled from `values` (duplicate a job)."""
    values = values or {}
    required = set(schema.get("required", []))
    fields = []
    for name, raw in (schema.get("properties") or {}).items():
        prop = _resolve(raw, schema)
        kind = _kind(prop)
        value = values.get(name, prop.get("default"))
        if kind == "json" and value is not None:
            value = json.dumps(value, indent=2, ensure_ascii=False)
        fields.append(Field(name=name, kind=kind, label=prop.get("title") or name.replace("_", " "),
                            help=prop.get("description", ""), required=name in required,
                            value=value, options=prop.get("enum"),
                            minimum=prop.get("minimum", prop.get("exclusiveMinimum")),
                            maximum=prop.get("maximum", prop.get("exclusiveMaximum"))))
    return fields


def _kind(prop: dict) -> str:
    if "enum" in prop:
        return "select"
    kind = prop.get("type")
    if kind == "boolean":
        return "checkbox"
    if kind in ("integer", "number"):
        return kind
    if kind == "string":
        return "textarea" if (prop.get("maxLength") or 0) > 200 or prop.get("format") == "textarea" else "text"
    return "json"


def params_from_form(schema: dict, form: dict[str, str]) -> dict:
    """Params typed by the schema from submitted form strings; empty optional fields are left out."""
    params: dict[str, Any] = {}
    for field in fields_for(schema):
        raw = form.get(f"p.{field.name}")
        if field.kind == "checkbox":
            params[field.name] = raw is not None
            continue
        if raw is None or raw.strip() == "":
            continue
        params[field.name] = _convert(field, raw.strip())
    return params


def _convert(field: Field, raw: str) -> Any:
    try:
        if field.kind == "integer":
            return int(raw)
        if field.kind == "number":
            return float(raw)
        if field.kind == "json":
            return json.loads(raw)
    except ValueError as exc:  # json.JSONDecodeError is a ValueError
        raise BadInput(f"{field.name}: {raw[:40]!r} is not a valid {field.kind} ({exc})", field=field.name) from None
    if field.kind == "select" and field.options:
        for option in field.options:  # enums of numbers arrive as strings
            if str(option) == raw:
                return option
    return raw
