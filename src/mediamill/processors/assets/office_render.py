"""First page of an office document as an image, rendered by LibreOffice headless (Debian's nogui build).

LibreOffice is the one faithful renderer of DOCX/XLSX/PPTX/ODF/RTF layout. What it is given is a
sanitised copy: macro parts (vbaProject.bin, Basic/, Scripts/) are dropped and external references
(OOXML relationships with TargetMode="External", ODF links to remote resources) are cut, so nothing
runs and nothing is fetched; where the kernel allows it, soffice also runs without a network
(`unshare -n`). Cost, measured on this shared 2-core machine under load: ~5.5 s and ~220 MB peak RSS
per document (a fresh soffice each time: a hang or crash takes one job, never the worker).
"""

from __future__ import annotations

import atexit
import functools
import re
import shutil
import subprocess
import tempfile
import zipfile
from pathlib import Path

from mediamill.errors import BadInput, ToolFailed
from mediamill.processors.assets._vips import vips
from mediamill.processors.assets.archive import SafeZip
from mediamill.processors.assets.kinds import Kind
from mediamill.processors.assets.limits import check_image_header
from mediamill.processors.assets.office import MACRO_PARTS, sniff
from mediamill.security import Limits

SOFFICE_CANDIDATES = ("soffice", "libreoffice")
_EXTERNAL_RELATIONSHIP = re.compile(rb"<Relationship\b[^>]*TargetMode=\"External\"[^>]*/>")
_REMOTE_LINK = re.compile(rb"(xlink:href=)\"(?:[a-zA-Z][a-zA-Z0-9+.-]*:)?//[^\"]*\"")
_EXTENSION = {"application/rtf": ".rtf", "text/plain": ".txt", "text/markdown": ".txt"}


def soffice() -> str | None:
    return next((found for name in SOFFICE_CANDIDATES if (found := shutil.which(name))), None)


@functools.cache
def _network_wall() -> list[str]:
    """`unshare -n` when this process may create a network namespace (root, or user namespaces)."""
    unshare = shutil.which("unshare")
    if unshare is None:
        return []
    for prefix in ([unshare, "-n"], [unshare, "-rn"]):
        try:
            if subprocess.run([*prefix, "true"], capture_output=True, timeout=10).returncode == 0:
                return prefix
        except (OSError, subprocess.TimeoutExpired):
            continue
    return []


@functools.cache
def _profile_dir() -> Path:
    """One LibreOffice profile per process: creating it costs ~1 s, and a pool process renders one
    document at a time, so reusing it is safe."""
    path = Path(tempfile.mkdtemp(prefix="mediamill-soffice-"))
    atexit.register(shutil.rmtree, path, ignore_errors=True)
    return path


def render_first_page(path: Path, kind: Kind, limits: Limits):
    """Page 1 (slide 1, the first sheet's printed area) as an in-memory pyvips image."""
    program = soffice()
    if program is None:
        raise BadInput("document thumbnails need LibreOffice (`soffice`), which is not installed here; "
                       "`make setup` installs it", field="inputs")
    with tempfile.TemporaryDirectory(prefix="mediamill-doc-") as scratch:
        rendered = _convert(program, path, kind, limits, Path(scratch))
        page = vips().Image.new_from_file(str(rendered))
        check_image_header(page.width, page.height, limits, what="rendered page", use="thumbnail")
        return page.copy_memory()


def _convert(program: str, path: Path, kind: Kind, limits: Limits, work: Path) -> Path:
    source = _sanitised_copy(path, kind, limits, work)
    command = [*_network_wall(), program, "--headless", "--norestore", "--nolockcheck", "--nodefault",
               f"-env:UserInstallation={_profile_dir().as_uri()}", "--convert-to", "png", "--outdir",
               str(work / "out"), str(source)]
    try:
        done = subprocess.run(command, capture_output=True, timeout=limits.render_timeout_s, cwd=work,
                              stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        raise BadInput(f"LibreOffice did not render the document within {limits.render_timeout_s:g} s",
                       field="inputs") from None
    rendered = work / "out" / (source.stem + ".png")
    if not rendered.exists():
        message = (done.stderr or done.stdout).decode(errors="replace").strip()[:300]
        if done.returncode != 0:
            raise ToolFailed(f"LibreOffice exited with {done.returncode}: {message}")
        raise BadInput(f"LibreOffice could not render the document ({message or 'no output'})", field="inputs")
    return rendered


def _sanitised_copy(path: Path, kind: Kind, limits: Limits, work: Path) -> Path:
    with open(path, "rb") as reader:
        head = reader.read(4096)
    fmt = sniff(path, head) if head.startswith(b"PK\x03\x04") else None
    if fmt is None:
        target = work / ("document" + _EXTENSION.get(kind.mime, ".txt"))
        shutil.copyfile(path, target)
        return target
    target = work / f"document.{fmt.name}"
    with SafeZip(path, limits) as archive, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as clean:
        for name in archive.names():
            if MACRO_PARTS.search(name):
                continue  # macros are dropped, not merely disabled
            data = archive.read(name)
            if name.endswith(".rels"):
                data = _EXTERNAL_RELATIONSHIP.sub(b"", data)
            elif name.endswith(".xml") and fmt.family == "odf":
                data = _REMOTE_LINK.sub(rb'\1""', data)
            compress = zipfile.ZIP_STORED if name == "mimetype" else zipfile.ZIP_DEFLATED
            clean.writestr(name, data, compress_type=compress)
    return target
