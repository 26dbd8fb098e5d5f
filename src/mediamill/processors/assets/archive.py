"""Zip containers of documents (OOXML, OpenDocument) opened with bounds: entry count, uncompressed size.

A zip bomb declares a huge size, or lies in its central directory and inflates past it. Both stop
here: the entry count is read from the end record before the directory is parsed, the declared
sizes are summed, and every read is metered against what is left of the budget.
"""

from __future__ import annotations

import struct
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from mediamill.errors import BadInput, LimitExceeded
from mediamill.security import Limits

_END_RECORD = b"PK\x05\x06"
_END_RECORD_MIN = 22
_TAIL = 64 * 1024 + _END_RECORD_MIN  # the end record sits within the last 64 KB (+ its comment)
_CHUNK = 64 * 1024


def _declared_entries(path: Path) -> int:
    with open(path, "rb") as reader:
        reader.seek(0, 2)
        size = reader.tell()
        reader.seek(max(0, size - _TAIL))
        tail = reader.read()
    at = tail.rfind(_END_RECORD)
    if at < 0 or len(tail) - at < _END_RECORD_MIN:
        raise BadInput("the document is not a readable zip container (no end record)", field="inputs")
    return struct.unpack("<H", tail[at + 10:at + 12])[0]  # 0xFFFF means ZIP64: zipfile reads the real count


class SafeZip:
    """`with SafeZip(path, limits) as archive:` names(), has(name), read(name), stream(name)."""

    def __init__(self, path: Path, limits: Limits) -> None:
        self.limits = limits
        declared = _declared_entries(path)
        if declared != 0xFFFF and declared > limits.max_archive_entries:
            raise LimitExceeded(f"the document holds {declared:,} zip entries, over max_archive_entries "
                                f"({limits.max_archive_entries:,})", field="inputs")
        try:
            self._zip = zipfile.ZipFile(path)
        except (zipfile.BadZipFile, OSError, ValueError) as exc:
            raise BadInput(f"the document is not a readable zip container ({exc})", field="inputs") from None
        infos = self._zip.infolist()
        if len(infos) > limits.max_archive_entries:
            raise LimitExceeded(f"the document holds {len(infos):,} zip entries, over max_archive_entries "
                                f"({limits.max_archive_entries:,})", field="inputs")
        declared_bytes = sum(info.file_size for info in infos)
        if declared_bytes > limits.max_archive_bytes:
            raise LimitExceeded(f"the document would inflate to {declared_bytes:,} bytes, over "
                                f"max_archive_bytes ({limits.max_archive_bytes:,}): a zip bomb?", field="inputs")
        self._infos = {info.filename: info for info in infos}
        self._budget = limits.max_archive_bytes

    def __enter__(self) -> SafeZip:
        return self

    def __exit__(self, *exc: object) -> None:
        self._zip.close()

    def names(self) -> list[str]:
        return list(self._infos)

    def has(self, name: str) -> bool:
        return name in self._infos

    def stream(self, name: str) -> Iterator[bytes]:
        """The entry's bytes in chunks, metered: inflating past the budget raises LimitExceeded."""
        try:
            with self._zip.open(self._infos[name]) as member:
                yield from self._metered(member)
        except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, RuntimeError) as exc:
            # RuntimeError: an encrypted entry; NotImplementedError: an unknown compression method.
            raise BadInput(f"the document's part {name!r} cannot be read ({exc})", field="inputs") from None

    def read(self, name: str) -> bytes:
        return b"".join(self.stream(name))

    def _metered(self, member: IO[bytes]) -> Iterator[bytes]:
        while chunk := member.read(_CHUNK):
            self._budget -= len(chunk)
            if self._budget < 0:
                raise LimitExceeded("the document inflates past max_archive_bytes "
                                    f"({self.limits.max_archive_bytes:,}): a zip bomb?", field="inputs")
            yield chunk
