"""How commands print: JSON with --json (for scripts), rich tables and bars for people, one-line errors.

rich loads on first use (`console`, `err_console` are made when first asked for): `mediamill --help`
and `--json` output never pay for it.
"""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table

# Tables printed to a pipe or a log grow to their natural width up to this; long text wraps past it.
PIPED_MAX_WIDTH = 160


def __getattr__(name: str) -> Console:
    if name not in ("console", "err_console"):
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from rich.console import Console

    globals()[name] = made = Console(stderr=name == "err_console")
    return made


def _console(name: str) -> Console:
    """`console` or `err_console`, made on first use (module globals skip __getattr__ inside the module)."""
    return globals().get(name) or __getattr__(name)


def to_jsonable(value: Any) -> Any:
    from pydantic import BaseModel

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
    from rich.table import Table

    view = Table(title=title, title_justify="left")
    for index, column in enumerate(columns):
        numbers = bool(rows) and all(isinstance(row[index], int | float) for row in rows)
        view.add_column(column, justify="right" if numbers else "left")
    for row in rows:
        view.add_row(*[str(cell) for cell in row])
    return view


def table(title: str, columns: list[str], rows: list[list[Any]]) -> None:
    from rich.console import Console

    view = build_table(title, columns, rows)
    console = _console("console")
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
    _console("err_console").print(f"[bold red]error:[/] {message}", highlight=False)
    raise SystemExit(code)
