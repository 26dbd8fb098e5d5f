"""Pictures drawn on the server as SVG geometry: throughput sparklines and a run's DAG.

No chart library: a sparkline is one polyline per series, and a DAG of a few dozen steps lays out
in layers in microseconds. The templates turn this geometry into inline SVG (no script, no request).
"""

from __future__ import annotations

from dataclasses import dataclass, field


def sparkline(series: dict[str, list[int]], width: int = 240, height: int = 40) -> dict:
    """Polyline points for each series on one shared scale (so completed and failed compare)."""
    peak = max((max(values) for values in series.values() if values), default=0) or 1
    lines = {}
    for name, values in series.items():
        step = width / max(len(values) - 1, 1)
        lines[name] = " ".join(f"{i * step:.1f},{height - 2 - (v / peak) * (height - 4):.1f}"
                               for i, v in enumerate(values))
    return {"width": width, "height": height, "peak": peak, "lines": lines,
            "totals": {name: sum(values) for name, values in series.items()}}


@dataclass
class Node:
    name: str
    layer: int
    row: int = 0
    x: float = 0
    y: float = 0
    data: dict = field(default_factory=dict)


NODE_W, NODE_H, GAP_X, GAP_Y, PAD = 168, 52, 56, 18, 12


def layout_dag(deps: dict[str, list[str]], order: list[str]) -> dict:
    """Left-to-right layers: a step sits one layer right of its deepest dependency; within a layer,
    steps are ordered by the mean row of their dependencies (fewer crossings), then spec order."""
    layer: dict[str, int] = {}

    def depth(name: str, seen: frozenset = frozenset()) -> int:
        if name not in layer:
            parents = [p for p in deps.get(name, []) if p in deps and p not in seen]
            layer[name] = 1 + max((depth(p, seen | {name}) for p in parents), default=-1)
        return layer[name]

    for name in order:
        depth(name)
    columns: dict[int, list[str]] = {}
    for name in order:
        columns.setdefault(layer[name], []).append(name)
    nodes: dict[str, Node] = {}
    for index in sorted(columns):
        names = columns[index]

        def weight(name: str) -> float:
            rows = [nodes[p].row for p in deps.get(name, []) if p in nodes]
            return sum(rows) / len(rows) if rows else order.index(name)

        for row, name in enumerate(sorted(names, key=lambda n: (weight(n), order.index(n)))):
            nodes[name] = Node(name=name, layer=index, row=row, x=PAD + index * (NODE_W + GAP_X),
                               y=PAD + row * (NODE_H + GAP_Y))
    edges = []
    for name, parents in deps.items():
        for parent in parents:
            if parent in nodes and name in nodes:
                a, b = nodes[parent], nodes[name]
                x1, y1, x2, y2 = a.x + NODE_W, a.y + NODE_H / 2, b.x, b.y + NODE_H / 2
                bend = (x2 - x1) / 2
                edges.append({"from": parent, "to": name,
                              "d": f"M{x1:.0f},{y1:.0f} C{x1 + bend:.0f},{y1:.0f} {x2 - bend:.0f},{y2:.0f} "
                                   f"{x2 - 6:.0f},{y2:.0f}"})
    width = PAD * 2 + (max(columns, default=0) + 1) * (NODE_W + GAP_X) - GAP_X
    height = PAD * 2 + max((len(c) for c in columns.values()), default=1) * (NODE_H + GAP_Y) - GAP_Y
    return {"nodes": list(nodes.values()), "edges": edges, "width": width, "height": height,
            "node_w": NODE_W, "node_h": NODE_H}
