"""Validation names the exact problem before anything is enqueued; random specs never crash it."""

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from mediamill.errors import BadInput
from mediamill.pipelines.expressions import ExpressionError, evaluate_condition, resolve
from mediamill.pipelines.spec import parse_spec
from mediamill.pipelines.validate import check_run_request, validate_spec


def problem(text: str) -> str:
    with pytest.raises(BadInput) as info:
        validate_spec(parse_spec(text))
    return info.value.message


def test_unknown_task():
    assert "steps.a.task: unknown task 'no.such'" in problem("name: p\nsteps:\n  a: {task: no.such}\n")


def test_unknown_step_reference():
    message = problem("name: p\nsteps:\n  a: {task: test.echo, params: {value: '${steps.zzz.result}'}}\n")
    assert "unknown step 'zzz'" in message


def test_cycle_is_named():
    message = problem("""
name: p
steps:
  a: {task: test.echo, params: {value: "${steps.b.result}"}}
  b: {task: test.echo, params: {value: "${steps.a.result}"}}
""")
    assert "cycle: a -> b -> a" in message


def test_params_that_fail_the_task_schema():
    message = problem("name: p\nsteps:\n  a: {task: test.echo, params: {files: many}}\n")
    assert "steps.a.params.files" in message


def test_params_with_references_are_checked_at_run_time_only():
    spec = parse_spec("name: p\nparams: {n: {type: integer, default: 2}}\nsteps:\n  a: {task: test.echo, params: {files: '${params.n}'}}\n")
    assert validate_spec(spec).order == ["a"]


def test_item_outside_foreach():
    assert "only defined in a step with foreach" in problem(
        "name: p\nsteps:\n  a: {task: test.echo, params: {value: '${item}'}}\n")


def test_bad_yaml_and_shape():
    with pytest.raises(BadInput, match="not valid YAML"):
        parse_spec("name: [unclosed")
    with pytest.raises(BadInput, match="spec.steps"):
        parse_spec("name: p\nsteps: {}\n")
    with pytest.raises(BadInput, match="spec.name"):
        parse_spec("name: Not A Slug\nsteps:\n  a: {task: test.echo}\n")


def test_missing_required_input_and_bad_params():
    spec = parse_spec("""
name: p
inputs:
  photo: {kind: file}
params:
  count: {type: integer, minimum: 1, default: 3}
steps:
  a: {task: test.echo, use: [inputs.photo]}
""")
    with pytest.raises(BadInput, match="inputs.photo: required"):
        check_run_request(spec, {}, {})
    with pytest.raises(BadInput, match="params.count"):
        check_run_request(spec, {"photo": {"artifact": "art_0123456789abcdef01234567"}}, {"count": 0})
    with pytest.raises(BadInput, match="unknown param"):
        check_run_request(spec, {"photo": {"artifact": "art_0123456789abcdef01234567"}}, {"nope": 1})
    inputs, params = check_run_request(spec, {"photo": {"artifact": "art_0123456789abcdef01234567"}}, {})
    assert params == {"count": 3}


def test_expressions():
    scope = {"params": {"a": [1, {"b": "x"}]}, "steps": {"s": {"result": {"ok": True}}}}
    assert resolve("${params.a[1].b}", scope) == "x"
    assert resolve("v=${params.a}", scope) == "v=[1, {\"b\": \"x\"}]"
    assert evaluate_condition("${steps.s.result.ok}", scope) is True
    assert evaluate_condition("not ${steps.s.result.ok}", scope) is False
    assert evaluate_condition('${params.a[1].b} == "x"', scope) is True
    with pytest.raises(ExpressionError, match="nothing at params.zz"):
        resolve("${params.zz}", scope)


names = st.sampled_from(["a", "b", "c", "d", "test.echo", "no.task", "steps", "params", "inputs", ""])
values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=12)
    | st.sampled_from(["${steps.a.result}", "${params.x}", "${inputs.f}", "${item}", "${steps.zz}", "${"]),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(names, children, max_size=3),
    max_leaves=12,
)


@hsettings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(st.sampled_from(["name", "steps", "inputs", "params", "outputs", "failure_policy", "x"]),
                       values, max_size=6)
       | st.fixed_dictionaries({"name": st.just("p"), "steps": st.dictionaries(names, values, min_size=1, max_size=4)}))
def test_random_specs_never_crash_the_validator(data):
    try:
        validate_spec(parse_spec(data))
    except BadInput as exc:
        assert exc.message
