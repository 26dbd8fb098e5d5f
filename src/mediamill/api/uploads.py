"""Request bodies read as streams: JSON (size-capped), raw bytes and multipart, files spooled to disk.

Nothing is held whole in memory: file parts go to a temporary file chunk by chunk (parsing runs in a
thread), the byte limit is enforced while reading, and a Content-Length over the limit fails at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from python_multipart import MultipartParser
from python_multipart.multipart import parse_options_header
from starlette.requests import Request

from mediamill.errors import BadInput, LimitExceeded

MAX_JSON_BYTES = 1024 * 1024
MAX_FIELD_BYTES = 1024 * 1024
MAX_FIELDS = 50
MAX_FILES = 20


class UnsupportedMediaType(BadInput):
    status_code = 415


@dataclass
class UploadedFile:
    field: str
    filename: str | None
    path: Path
    size: int = 0


@dataclass
class Form:
    fields: dict[str, str] = field(default_factory=dict)
    files: list[UploadedFile] = field(default_factory=list)

    def cleanup(self) -> None:
        for upload in self.files:
            upload.path.unlink(missing_ok=True)


def media_type(request: Request) -> str:
    return request.headers.get("content-type", "").split(";", 1)[0].strip().lower()


def is_json(kind: str) -> bool:
    """Whether a media type (from media_type) is JSON: application/json or a +json suffix."""
    return kind == "application/json" or kind.endswith("+json")


async def read_json_object(request: Request, shape: str) -> dict:
    """The body of a JSON-only endpoint: 415 unless it says JSON, 422 unless it is an object
    (`shape` follows "the body must be a JSON object" in that message, naming the fields)."""
    kind = media_type(request)
    if not is_json(kind):
        raise UnsupportedMediaType(f"Content-Type {kind or '(none)'!r}: send application/json", field="content-type")
    body = await read_json(request)
    if not isinstance(body, dict):
        raise BadInput(f"the body must be a JSON object{shape}", field="body")
    return body


def _check_length(request: Request, limit: int, what: str) -> None:
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise LimitExceeded(f"{what} of {declared} bytes is larger than the limit of {limit} bytes")


async def read_json(request: Request, max_bytes: int = MAX_JSON_BYTES) -> Any:
    return parse_json(await read_body(request, max_bytes))


async def read_body(request: Request, max_bytes: int = MAX_JSON_BYTES) -> bytes:
    """The whole (JSON) body as bytes, refused past `max_bytes` while it streams in."""
    _check_length(request, max_bytes, "the JSON body")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > max_bytes:
            raise LimitExceeded(f"the JSON body is larger than the limit of {max_bytes} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def parse_json(raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BadInput(f"the body is not valid JSON: {exc}", field="body") from None


async def read_raw(request: Request, tmp_dir: Path, max_bytes: int, filename: str | None) -> UploadedFile:
    """The whole body as one file (for `Content-Type: application/octet-stream` and the like)."""
    _check_length(request, max_bytes, "the upload")
    upload = UploadedFile("file", filename, _tmp_path(tmp_dir))
    handle = open(upload.path, "wb")
    try:
        async for chunk in request.stream():
            upload.size += len(chunk)
            if upload.size > max_bytes:
                raise LimitExceeded(f"the upload is larger than the limit of {max_bytes} bytes")
            await asyncio.to_thread(handle.write, chunk)
    except BaseException:
        handle.close()
        upload.path.unlink(missing_ok=True)
        raise
    handle.close()
    return upload


async def read_multipart(request: Request, tmp_dir: Path, max_file_bytes: int) -> Form:
    _, options = parse_options_header(request.headers.get("content-type", ""))
    boundary = options.get(b"boundary")
    if not boundary:
        raise BadInput("multipart/form-data body without a boundary in its Content-Type", field="body")
    _check_length(request, max_file_bytes * MAX_FILES + MAX_FIELD_BYTES * 4, "the multipart body")
    receiver = _FormReceiver(tmp_dir, max_file_bytes)
    parser = MultipartParser(boundary, receiver.callbacks())
    try:
        async for chunk in request.stream():
            await asyncio.to_thread(parser.write, chunk)
        parser.finalize()
        receiver.check_complete()
    except BaseException as exc:
        receiver.abort()
        if isinstance(exc, ValueError | KeyError) and not isinstance(exc, BadInput):
            raise BadInput(f"malformed multipart body: {exc}", field="body") from None
        raise
    return receiver.form


def _tmp_path(tmp_dir: Path) -> Path:
    tmp_dir.mkdir(parents=True, exist_ok=True)
    return tmp_dir / f"upload-{secrets.token_hex(8)}"


class _FormReceiver:
    """python-multipart callbacks: text fields into memory (capped), file parts into temporary files."""

    def __init__(self, tmp_dir: Path, max_file_bytes: int) -> None:
        self.tmp_dir, self.max_file_bytes = tmp_dir, max_file_bytes
        self.form = Form()
        self.headers: dict[str, str] = {}
        self._name = self._value = b""
        self._field: str | None = None
        self._text: bytearray | None = None
        self._file: UploadedFile | None = None
        self._handle: BinaryIO | None = None
        self._open_parts = 0

    def callbacks(self) -> dict:
        return {
            "on_part_begin": self._begin, "on_header_field": self._header_field,
            "on_header_value": self._header_value, "on_header_end": self._header_end,
            "on_headers_finished": self._headers_done, "on_part_data": self._data, "on_part_end": self._end,
        }

    def _begin(self) -> None:
        self.headers, self._name, self._value = {}, b"", b""
        self._open_parts += 1

    def _header_field(self, data: bytes, start: int, end: int) -> None:
        self._name += data[start:end]

    def _header_value(self, data: bytes, start: int, end: int) -> None:
        self._value += data[start:end]

    def _header_end(self) -> None:
        self.headers[self._name.decode("latin-1").lower()] = self._value.decode("latin-1")
        self._name, self._value = b"", b""

    def _headers_done(self) -> None:
        disposition, options = parse_options_header(self.headers.get("content-disposition", ""))
        if disposition != b"form-data" or b"name" not in options:
            raise BadInput("a multipart part lacks 'Content-Disposition: form-data; name=...'", field="body")
        self._field = options[b"name"].decode("utf-8", "replace")
        if b"filename" in options:
            if len(self.form.files) >= MAX_FILES:
                raise LimitExceeded(f"more than {MAX_FILES} files in one request", field="body")
            filename = options[b"filename"].decode("utf-8", "replace") or None
            self._file = UploadedFile(self._field, filename, _tmp_path(self.tmp_dir))
            self.form.files.append(self._file)
            self._handle = open(self._file.path, "wb")
        else:
            if len(self.form.fields) >= MAX_FIELDS:
                raise LimitExceeded(f"more than {MAX_FIELDS} form fields in one request", field="body")
            self._text = bytearray()

    def _data(self, data: bytes, start: int, end: int) -> None:
        if self._file is not None and self._handle is not None:
            self._file.size += end - start
            if self._file.size > self.max_file_bytes:
                raise LimitExceeded(f"file {self._file.filename or self._field!r} is larger than the upload limit "
                                    f"of {self.max_file_bytes} bytes", field=self._field)
            self._handle.write(data[start:end])
        elif self._text is not None:
            self._text += data[start:end]
            if len(self._text) > MAX_FIELD_BYTES:
                raise LimitExceeded(f"form field {self._field!r} is larger than {MAX_FIELD_BYTES} bytes",
                                    field=self._field)

    def _end(self) -> None:
        self._open_parts -= 1
        if self._handle is not None:
            self._handle.close()
        elif self._text is not None and self._field is not None:
            try:
                self.form.fields[self._field] = self._text.decode("utf-8")
            except UnicodeDecodeError:
                raise BadInput(f"form field {self._field!r} is not UTF-8 text", field=self._field) from None
        self._file, self._handle, self._text, self._field = None, None, None, None

    def check_complete(self) -> None:
        if self._open_parts:
            raise BadInput("the multipart body ended in the middle of a part", field="body")

    def abort(self) -> None:
        if self._handle is not None:
            with contextlib.suppress(OSError):
                self._handle.close()
        self.form.cleanup()
