"""Validation before anything is enqueued: tasks exist, references resolve, no cycles, params fit.

Each problem is named exactly ("steps.thumb.params.width: Input should be a valid integer",
"cycle: a -> b -> a"); all problems are reported at once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import jsonschema
from pydantic import ValidationError

from mediamill.errors import BadInput, NotFound
from mediamill.pipelines.expressions import (
    REF,
    ROOTS,
    ExpressionError,
    evaluate_condition,
    references,
    split_path,
)
from mediamill.pipelines.spec import PipelineSpec, StepDecl
from mediamill.tasks.registry import get_task


@dataclass
class Plan:
    """A validated spec: who waits for whom, and an order that respects it."""

    spec: PipelineSpec
    deps: dict[str, set[str]] = field(default_factory=dict)
    order: list[str] = field(default_factory=list)
    missing_tasks: list[str] = field(default_factory=list)

    def dependents(self, step: str) -> set[str]:
        return {name for name, deps in self.deps.items() if step in deps}


def as_reference(entry: str) -> str:
    """`use` entries may be written bare (`inputs.photo`) or as `${inputs.photo}`."""
    return entry if REF.search(entry) else "${" + entry + "}"


def step_references(step: StepDecl) -> list[str]:
    values: list[Any] = [step.params, [as_reference(u) for u in step.use]]
    if step.foreach:
        values.append(step.foreach)
    if step.when:
        values.append(step.when)
    return references(values)


def validate_spec(spec: PipelineSpec, *, require_tasks: bool = True, check_params: bool = True) -> Plan:
    errors: list[str] = []
    plan = Plan(spec=spec)
    for name, step in spec.steps.items():
        where = f"steps.{name}"
        deps = set(step.after)
        for dep in step.after:
            if dep not in spec.steps:
                errors.append(f"{where}.after: unknown step {dep!r}")
        for ref in step_references(step):
            deps |= _check_reference(spec, name, step, ref, errors)
        if step.foreach and not REF.fullmatch(step.foreach.strip()):
            errors.append(f"{where}.foreach: must be one reference like ${{steps.x.result.items}}")
        if step.when:
            _check_condition(where, step.when, errors)
        deps.discard(name)
        plan.deps[name] = deps & set(spec.steps)
        _check_task(plan, where, step, errors, require_tasks, check_params)
    for output, ref_text in spec.outputs.items():
        refs = references(ref_text)
        if not refs:
            errors.append(f"outputs.{output}: must be a reference like ${{steps.x.result}}")
        for ref in refs:
            _check_reference(spec, None, None, ref, errors, where=f"outputs.{output}")
    _check_param_defaults(spec, errors)
    plan.order = _topological_order(plan.deps, errors)
    if errors:
        raise BadInput("; ".join(errors), field="spec")
    return plan


def _check_reference(spec: PipelineSpec, name: str | None, step: StepDecl | None, ref: str,
                     errors: list[str], where: str | None = None) -> set[str]:
    where = where or f"steps.{name}"
    parts = split_path(ref)
    root = parts[0]
    if root not in ROOTS:
        errors.append(f"{where}: ${{{ref}}} must start with one of {', '.join(ROOTS)}")
        return set()
    if root in ("item", "index"):
        if step is None or not step.foreach:
            errors.append(f"{where}: ${{{ref}}} is only defined in a step with foreach")
        return set()
    if len(parts) < 2:
        errors.append(f"{where}: ${{{ref}}} must name a {root[:-1]}")
        return set()
    if root == "params" and parts[1] not in spec.params:
        errors.append(f"{where}: unknown param {parts[1]!r} in ${{{ref}}}")
    if root == "inputs" and parts[1] not in spec.inputs:
        errors.append(f"{where}: unknown input {parts[1]!r} in ${{{ref}}}")
    if root == "steps":
        if parts[1] not in spec.steps:
            errors.append(f"{where}: unknown step {parts[1]!r} in ${{{ref}}}")
            return set()
        if len(parts) < 3 or parts[2] != "result":
            errors.append(f"{where}: ${{{ref}}} must read steps.{parts[1]}.result[...]")
        return {str(parts[1])}
    return set()


def _check_condition(where: str, condition: str, errors: list[str]) -> None:
    try:  # evaluate against an empty scope only to check the shape
        evaluate_condition(condition, {})
    except ExpressionError as exc:
        if "must be" in str(exc):
            errors.append(f"{where}.when: {exc}")


def _check_task(plan: Plan, where: str, step: StepDecl, errors: list[str], require_tasks: bool,
                check_params: bool) -> None:
    try:
        spec = get_task(step.task)
    except NotFound:
        plan.missing_tasks.append(step.task)
        if require_tasks:
            errors.append(f"{where}.task: unknown task {step.task!r}")
        return
    if not check_params:
        return
    dynamic = {key for key, value in step.params.items() if references(value)}
    static = {key: value for key, value in step.params.items() if key not in dynamic}
    try:
        spec.params_model.model_validate(static)
    except ValidationError as exc:
        for error in exc.errors():
            loc = error["loc"]
            if loc and loc[0] in dynamic:
                continue
            path = ".".join(str(p) for p in loc)
            errors.append(f"{where}.params.{path}: {error['msg']}")


def _check_param_defaults(spec: PipelineSpec, errors: list[str]) -> None:
    for name, schema in spec.params.items():
        try:
            jsonschema.Draft202012Validator.check_schema(schema)
        except jsonschema.SchemaError as exc:
            errors.append(f"params.{name}: not a valid JSON schema: {exc.message}")
            continue
        if "default" in schema:
            problem = next(jsonschema.Draft202012Validator(schema).iter_errors(schema["default"]), None)
            if problem is not None:
                errors.append(f"params.{name}.default: {problem.message}")


def _topological_order(deps: dict[str, set[str]], errors: list[str]) -> list[str]:
    remaining = {name: set(d) for name, d in deps.items()}
    order: list[str] = []
    while remaining:
        ready = sorted(name for name, d in remaining.items() if not d)
        if not ready:
            errors.append("cycle: " + _describe_cycle(remaining))
            return order
        for name in ready:
            order.append(name)
            del remaining[name]
        for d in remaining.values():
            d.difference_update(ready)
    return order


def _describe_cycle(remaining: dict[str, set[str]]) -> str:
    start = sorted(remaining)[0]
    path, node = [start], start
    while True:
        node = sorted(remaining[node])[0]
        if node in path:
            return " -> ".join(path[path.index(node):] + [node])
        path.append(node)


def check_run_request(spec: PipelineSpec, inputs: dict[str, Any], params: dict[str, Any]) -> tuple[dict, dict]:
    """Inputs and params of a new run, with defaults filled in; BadInput naming what is wrong."""
    errors: list[str] = []
    unknown = sorted(set(params) - set(spec.params))
    if unknown:
        errors.append(f"unknown param(s) {', '.join(unknown)}; {spec.name} takes: {', '.join(spec.params) or 'none'}")
    resolved_params = {}
    for name, schema in spec.params.items():
        if name in params:
            value = params[name]
        elif "default" in schema:
            value = schema["default"]
        else:
            errors.append(f"params.{name}: required")
            continue
        problem = next(jsonschema.Draft202012Validator(schema).iter_errors(value), None)
        if problem is not None:
            errors.append(f"params.{name}: {problem.message}")
        resolved_params[name] = value
    unknown_inputs = sorted(set(inputs) - set(spec.inputs))
    if unknown_inputs:
        errors.append(f"unknown input(s) {', '.join(unknown_inputs)}; {spec.name} takes: {', '.join(spec.inputs) or 'none'}")
    resolved_inputs = {}
    for name, decl in spec.inputs.items():
        value = inputs.get(name, decl.default)
        if value is None:
            if decl.required:
                errors.append(f"inputs.{name}: required ({decl.kind})")
            resolved_inputs[name] = None  # an optional input left out reads as null
            continue
        problem = _input_problem(decl.kind, value)
        if problem:
            errors.append(f"inputs.{name}: {problem}")
        resolved_inputs[name] = value
    if errors:
        raise BadInput("; ".join(errors), field="inputs" if any(e.startswith("inputs") for e in errors) else "params")
    return resolved_inputs, resolved_params


def _input_problem(kind: str, value: Any) -> str | None:
    if kind == "file" and not (isinstance(value, dict) and "artifact" in value):
        return "must be a file (an uploaded artifact)"
    if kind == "text" and not isinstance(value, str):
        return "must be text"
    if kind == "url" and not (isinstance(value, str) and value.startswith(("http://", "https://"))):
        return "must be an http(s) URL"
    if kind == "list" and not isinstance(value, list):
        return "must be a list"
    return None
