"""How commands print: JSON with --json (for scripts), rich tables and bars for people, one-line errors."""

from __future__ import annotations

import json
import sys
from typing import Any

from pydantic import BaseModel
from rich.console import Console
from rich.table import Table

console = Console()
err_console = Console(stderr=True)
# Tables printed to a pipe or a log grow to their natural width up to this; long text wraps past it.
PIPED_MAX_WIDTH = 160


def to_jsonable(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, list):
        return [to_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {k: to_jsonable(v) for k, v in value.items()}
    return value


def emit_json(value: Any) -> None:
    sys.stdout.write(json.dumps(to_jsonable(value), indent=2, default=str) + "\n")
    sys.stdout.flush()


def build_table(title: str, columns: list[str], rows: list[list[Any]]) -> Table:
    view = Table(title=title, title_justify="left")
    for index, column in enumerate(columns):
        numbers = bool(rows) and all(isinstance(row[index], int | float) for row in rows)
        view.add_column(column, justify="right" if numbers else "left")
    for row in rows:
        view.add_row(*[str(cell) for cell in row])
    return view


def table(title: str, columns: list[str], rows: list[list[Any]]) -> None:
    view = build_table(title, columns, rows)
    target = console
    if not console.is_terminal:
        # Piped or logged, rich assumes 80 columns and would cut headers short ("comple…"): nothing
        # is gained by squeezing when no screen is there to fit.
        from rich.measure import Measurement

        natural = min(Measurement.get(console, console.options.update_width(1000), view).maximum, PIPED_MAX_WIDTH)
        if natural > console.width:
            target = Console(file=console.file, width=natural)
    target.print(view)


def fail(message: str, code: int = 1) -> None:
    err_console.print(f"[bold red]error:[/] {message}", highlight=False)
    raise SystemExit(code)
