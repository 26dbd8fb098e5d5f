"""Runs end to end on a real worker: references between steps, fan-out/fan-in, outputs."""

from pipeline_helpers import wait_run

from mediamill.pipelines.spec import parse_spec

CHAIN = """
name: chain
inputs:
  note: {kind: text}
params:
  greeting: {type: string, default: hello}
steps:
  first:
    task: test.echo
    params: {value: "${params.greeting} ${inputs.note}", files: 2}
  second:
    task: test.echo
    use: [steps.first.result.files]
    params: {value: "${steps.first.result.value}"}
  third:
    task: test.echo
    params: {value: "${steps.second.result.inputs}"}
outputs:
  greeting: ${steps.second.result.value}
  inputs_seen: ${steps.third.result.value}
  texts: ${steps.second.result.texts}
"""


async def test_chain_passes_values_and_artifacts(coordinator, worker):
    async with worker(["analytics"]):
        run = await coordinator.start(parse_spec(CHAIN), {"note": "world"}, {})
        status = await wait_run(coordinator, run.id)
    assert status.state == "completed", status.error
    assert status.outputs["greeting"] == "hello world"
    assert status.outputs["inputs_seen"] == 2  # a whole reference keeps its type
    assert status.outputs["texts"][0].startswith("item 0 of ")
    assert [s.state for s in status.steps] == ["completed"] * 3
    assert status.progress == 100


FAN = """
name: fan
params:
  width: {type: integer, default: 50}
steps:
  make:
    task: test.echo
    params: {files: "${params.width}"}
  each:
    task: test.echo
    foreach: ${steps.make.result.files}
    use: ["${item}"]
    params: {value: "${index}"}
  gather:
    task: test.echo
    params: {value: "${steps.each.result}"}
outputs:
  children: ${steps.gather.result.value}
"""


async def test_fan_out_fifty_children_and_fan_in(coordinator, worker):
    async with worker(["analytics"]):
        run = await coordinator.start(parse_spec(FAN), {}, {})
        status = await wait_run(coordinator, run.id, timeout=120)
    assert status.state == "completed", status.error
    each = next(s for s in status.steps if s.name == "each")
    assert each.items_total == 50 and each.items_done == 50
    children = status.outputs["children"]
    assert [c["value"] for c in children] == list(range(50))  # fan-in keeps item order
    assert all(c["inputs"] == 1 for c in children)


async def test_empty_fan_out_completes(coordinator, worker):
    async with worker(["analytics"]):
        run = await coordinator.start(parse_spec(FAN), {}, {"width": 0})
        status = await wait_run(coordinator, run.id)
    assert status.state == "completed", status.error
    assert status.outputs["children"] == []
