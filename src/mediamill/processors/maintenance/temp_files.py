"""Removing stale temporary files: pending uploads, staging and download leftovers, cached copies,
orphaned scratch dirs (the seed's TEMP_FILES).

Each of these is removed after use; leftovers come from a worker killed mid-job. Only entries
untouched for the whole max age go, so a job still running never loses its files.
"""

from __future__ import annotations

import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from mediamill.processors.maintenance.expired import data_dir_of
from mediamill.tasks import TaskContext


@dataclass
class TempTally:
    files: int = 0
    dirs: int = 0
    bytes: int = 0

    def as_dict(self) -> dict:
        return {"files": self.files, "dirs": self.dirs, "bytes": self.bytes}


def remove_stale(ctx: TaskContext, max_age_s: float, dry_run: bool = False) -> TempTally:
    cutoff = time.time() - max_age_s
    tally = TempTally()
    # stage-*, fetch-*, s3-cache/* in the store's; pending API uploads (tmp/uploads) in the data dir's.
    for folder in dict.fromkeys([ctx.store.tmp_dir, data_dir_of(ctx) / "tmp"]):
        _remove_old_files(folder, cutoff, tally, dry_run)
    scratch_root = data_dir_of(ctx) / "scratch"
    if scratch_root.is_dir():
        for entry in scratch_root.iterdir():
            ctx.check()
            if entry != ctx.scratch and entry.is_dir() and _newest_mtime(entry) < cutoff:
                tally.bytes += _tree_size(entry)
                if not dry_run:
                    shutil.rmtree(entry, ignore_errors=True)
                tally.dirs += 1
    return tally


def _remove_old_files(folder: Path, cutoff: float, tally: TempTally, dry_run: bool) -> None:
    if not folder.is_dir():
        return
    for root, _, names in os.walk(folder):
        for name in names:
            path = Path(root) / name
            try:
                info = path.stat()
                if info.st_mtime < cutoff:
                    if not dry_run:
                        path.unlink()
                    tally.files += 1
                    tally.bytes += info.st_size
            except FileNotFoundError:  # removed by its owner meanwhile
                continue


def _newest_mtime(folder: Path) -> float:
    newest = folder.stat().st_mtime
    for root, dirs, names in os.walk(folder):
        for name in dirs + names:
            try:
                newest = max(newest, (Path(root) / name).stat().st_mtime)
            except FileNotFoundError:
                continue
    return newest


def _tree_size(folder: Path) -> int:
    total = 0
    for root, _, names in os.walk(folder):
        for name in names:
            try:
                total += (Path(root) / name).stat().st_size
            except FileNotFoundError:
                continue
    return total
