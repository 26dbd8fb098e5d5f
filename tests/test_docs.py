"""The docs stay true: generated blocks match the code, and every relative link leads somewhere."""

from __future__ import annotations

import difflib
import os
import re
import subprocess
import sys
import unicodedata
from pathlib import Path
from urllib.parse import unquote

import pytest

ROOT = Path(__file__).resolve().parents[1]
GENERATOR = ROOT / "scripts" / "gen_reference.py"
FENCE = re.compile(r"^(```|~~~).*?^\1", re.S | re.M)
INLINE_CODE = re.compile(r"`[^`\n]*`")
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*\s*$", re.M)


def doc_files() -> list[Path]:
    return [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]


def test_generated_reference_is_current(tmp_path):
    # A clean environment: no MEDIAMILL_TASK_MODULES or overrides may leak into the reference.
    env = {k: v for k, v in os.environ.items() if not k.startswith("MEDIAMILL_")}
    done = subprocess.run([sys.executable, str(GENERATOR), "--root", str(ROOT), "--out", str(tmp_path)],
                          capture_output=True, text=True, env=env, cwd=tmp_path, timeout=300)
    assert done.returncode == 0, done.stderr
    # The docs, and the task manifest the same script writes.
    generated = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*") if p.is_file())
    assert Path("docs/reference/tasks/README.md") in generated, generated
    stale = [p for p in generated
             if not (ROOT / p).exists() or (ROOT / p).read_text(encoding="utf-8") != (tmp_path / p).read_text("utf-8")]
    if stale:  # show what changed in the first one, so the failure explains itself
        first = stale[0]
        current = (ROOT / first).read_text(encoding="utf-8").splitlines() if (ROOT / first).exists() else []
        diff = difflib.unified_diff(current, (tmp_path / first).read_text("utf-8").splitlines(),
                                    f"{first} (committed)", f"{first} (generated)", lineterm="")
        pytest.fail(f"stale generated docs {[str(p) for p in stale]}: run `.venv/bin/python "
                    f"scripts/gen_reference.py` and commit\n" + "\n".join(list(diff)[:40]))


def test_every_task_has_a_generated_params_table():
    text = "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "docs/reference/tasks").glob("*.md"))
    blocks = set(re.findall(r"<!-- generated: task ([a-z0-9_.-]+) -->", text))
    assert {"asset.thumbnail", "speech.voiceover", "video.compose", "text.copy"} <= blocks


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to dashes."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", heading).replace("`", "").strip().lower()
    kept = "".join(ch for ch in text if ch in " -_" or unicodedata.category(ch)[0] in "LN")
    return kept.replace(" ", "-")


def anchors(path: Path) -> set[str]:
    seen: dict[str, int] = {}
    found = set()
    for heading in HEADING.findall(FENCE.sub("", path.read_text(encoding="utf-8"))):
        base = slug(heading)
        count = seen.get(base, 0)
        seen[base] = count + 1
        found.add(base if count == 0 else f"{base}-{count}")
    return found


def relative_links(path: Path) -> list[str]:
    prose = INLINE_CODE.sub("", FENCE.sub("", path.read_text(encoding="utf-8")))
    return [t for t in LINK.findall(prose) if not re.match(r"^[a-z][a-z0-9+.-]*:", t)]  # skip http:, mailto:...


def test_the_slug_rules_match_github():
    assert slug("Remote inputs: the safe fetcher") == "remote-inputs-the-safe-fetcher"
    assert slug("`asset.thumbnail`") == "assetthumbnail"
    assert slug("A job's life") == "a-jobs-life"


@pytest.mark.parametrize("page", doc_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_every_relative_link_points_at_an_existing_file(page):
    broken = []
    for target in relative_links(page):
        file_part, _, fragment = target.partition("#")
        destination = (page.parent / unquote(file_part)).resolve() if file_part else page
        if not destination.exists():
            broken.append(f"{target} (no such file)")
        elif not destination.is_relative_to(ROOT):
            broken.append(f"{target} (outside the repository)")
        elif fragment and destination.suffix == ".md" and fragment not in anchors(destination):
            broken.append(f"{target} (no heading #{fragment})")
    assert not broken, f"{page.relative_to(ROOT)}: {broken}"
