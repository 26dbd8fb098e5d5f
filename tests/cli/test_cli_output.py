"""Tables printed to a pipe keep their headers whole; numbers right, text left."""

from __future__ import annotations

import io

from rich.console import Console

from mediamill.cli import output


def printed(monkeypatch, columns, rows) -> list[str]:
    buffer = io.StringIO()
    monkeypatch.setattr(output, "console", Console(file=buffer, width=80))  # a pipe: not a terminal
    output.table("queues", columns, rows)
    return buffer.getvalue().splitlines()


def test_a_wide_table_is_not_cut_to_80_columns_in_a_pipe(monkeypatch):
    columns = ["queue", "waiting", "active", "completed", "failed", "delayed", "paused", "is paused"]
    lines = printed(monkeypatch, columns, [["notifications", 0, 3, 12000, 1, 0, 0, "yes"]])
    header = next(line for line in lines if "queue" in line and "waiting" in line)
    assert all(name in header for name in columns), header
    assert "…" not in "".join(lines)
    row = next(line for line in lines if "notifications" in line)
    # numbers right-aligned under their header, text left-aligned
    assert "│ notifications │" in row and "│     12000 │" in row and "│ yes       │" in row, row


def test_long_text_wraps_past_the_cap(monkeypatch):
    lines = printed(monkeypatch, ["task", "description"], [["t", "word " * 100]])
    assert max(len(line) for line in lines) <= output.PIPED_MAX_WIDTH
