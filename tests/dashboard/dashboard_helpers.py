"""Helpers the dashboard's browser tests import (conftest modules cannot be imported by name reliably)."""

from __future__ import annotations

from pathlib import Path

HERE = Path(__file__).resolve().parent
AXE = (HERE / "axe.min.js").read_text()


def axe_serious(tab) -> list[dict]:
    """axe-core's serious and critical violations on the page (WCAG 2 A/AA rules)."""
    tab.add_script_tag(content=AXE)
    result = tab.evaluate("""async () => {
        const r = await axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21aa']}});
        return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                       nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}));
    }""")
    return [v for v in result if v["impact"] in ("serious", "critical")]
