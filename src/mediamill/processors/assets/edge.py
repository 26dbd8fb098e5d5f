"""Translates third-party decoding errors into BadInput at the processor edge (one context manager)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from mediamill.errors import BadInput, MediamillError


def _first_line(exc: BaseException) -> str:
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    if lines and lines[0].startswith("unable to call"):  # pyvips: the operation name says nothing
        lines = lines[1:]
    return "; ".join(lines[:2])[:300] or type(exc).__name__


def _decode_error_types() -> tuple[type[BaseException], ...]:
    """Errors meaning "these bytes cannot be decoded": libvips, FFmpeg, Pillow, pypdf, PDFium."""
    types: list[type[BaseException]] = []
    with contextlib.suppress(ImportError):
        import pyvips

        types.append(pyvips.Error)
    with contextlib.suppress(ImportError):
        import av

        # FFmpegError minus OSError-like transient cases: a local file that FFmpeg cannot parse.
        types.append(av.error.FFmpegError)
    with contextlib.suppress(ImportError):
        from PIL import Image, UnidentifiedImageError

        types += [UnidentifiedImageError, Image.DecompressionBombError]
    with contextlib.suppress(ImportError):
        from pypdf.errors import PyPdfError

        types.append(PyPdfError)
    with contextlib.suppress(ImportError):
        from pypdfium2 import PdfiumError

        types.append(PdfiumError)
    return tuple(types)


@contextlib.contextmanager
def decoding(what: str, field: str = "inputs") -> Iterator[None]:
    """`with decoding("image"):` turns a library's "cannot decode" error into BadInput naming `what`."""
    try:
        yield
    except MediamillError:
        raise
    except _decode_error_types() as exc:
        raise BadInput(f"cannot decode the {what}: {_first_line(exc)}", field=field) from None
    except (ValueError, EOFError, SyntaxError, KeyError, IndexError, ZeroDivisionError) as exc:
        # Parsers of hostile files fail in many shapes; none of them improves with a retry.
        raise BadInput(f"cannot decode the {what}: {type(exc).__name__}: {_first_line(exc)}",
                       field=field) from None
