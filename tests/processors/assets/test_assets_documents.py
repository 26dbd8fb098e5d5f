"""Documents: DOCX/XLSX/PPTX/ODT/ODS/ODP/RTF/Markdown/text metadata and first-page thumbnails, and
hostile ones (zip bombs, crowded zips, macros, external references) that fail once or are defused."""

from __future__ import annotations

import http.server
import threading
import zipfile
from pathlib import Path

import pytest
from documents_media import (
    many_entries_docx,
    write_docx,
    write_markdown,
    write_odf,
    write_pptx,
    write_rtf,
    write_xlsx,
    zip_bomb_docx,
)

from mediamill.errors import LimitExceeded
from mediamill.processors.assets.office_render import soffice
from mediamill.settings import Settings
from mediamill.testing import call_task

needs_libreoffice = pytest.mark.skipif(soffice() is None, reason="LibreOffice is not installed (make setup)")


@pytest.fixture(scope="module")
def documents(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("documents")
    return {
        "docx": write_docx(root / "report.docx"), "xlsx": write_xlsx(root / "budget.xlsx"),
        "pptx": write_pptx(root / "plan.pptx"), "odt": write_odf(root / "rapport.odt", "text"),
        "ods": write_odf(root / "rapport.ods", "spreadsheet"), "odp": write_odf(root / "rapport.odp", "presentation"),
        "rtf": write_rtf(root / "memo.rtf"), "md": write_markdown(root / "notes.md"),
        "docm": write_docx(root / "macro.docm", macro=True, external_image=True),
    }


EXPECTED = {  # format, title, author, counts, language
    "docx": ("docx", "Quarterly Report", "Ada Lovelace", {"pages": 2}, "en"),
    "xlsx": ("xlsx", "Budget", "Grace Hopper", {"sheets": 2, "sheet_names": ["Costs", "Revenue"]}, "en"),
    "pptx": ("pptx", "Launch Plan", "Katherine Johnson", {"slides": 3}, "en"),
    "odt": ("odt", "Rapport text", "Marie Curie", {"pages": 1}, "fr"),
    "ods": ("ods", "Rapport spreadsheet", "Marie Curie", {"sheets": 2}, "fr"),
    "odp": ("odp", "Rapport presentation", "Marie Curie", {"slides": 2}, "fr"),
    "rtf": ("rtf", "Memo", "Ada Lovelace", {"pages": 1}, "en"),
    "md": ("markdown", "Release notes", None, {}, "en"),
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_document_metadata(settings, documents, name):
    fmt, title, author, counts, language = EXPECTED[name]
    facts, _ = call_task(settings, "asset.inspect", {"text_kb": 1}, [documents[name]])
    document = facts["document"]
    assert facts["file_type"] == "DOCUMENT"
    assert (document["format"], document["title"], document["author"], document["language"]) == (
        fmt, title, author, language)
    assert {key: document[key] for key in counts} == counts
    assert document["words"] >= 10 and len(document["text"].encode()) <= 1024
    assert document.get("macros", False) is False


def test_text_is_bounded_by_text_kb_and_words_count_everything(settings, documents):
    whole, _ = call_task(settings, "asset.inspect", {"text_kb": 64}, [documents["pptx"]])
    short, _ = call_task(settings, "asset.inspect", {"text_kb": 0}, [documents["pptx"]])
    assert whole["document"]["text_truncated"] is False and short["document"]["text_truncated"] is True
    assert short["document"]["text"] == "" and short["document"]["words"] == whole["document"]["words"]
    assert whole["document"]["text"].startswith("Launch Plan")


def test_a_zip_bomb_fails_once_with_a_limit(settings, documents, tmp_path):
    bomb = zip_bomb_docx(tmp_path / "bomb.docx", documents["docx"], 300 * 1024 * 1024)
    assert bomb.stat().st_size < 2 * 1024 * 1024  # 300 MB of zeros in under 2 MB
    with pytest.raises(LimitExceeded, match="max_archive_bytes"):
        call_task(settings, "asset.inspect", {}, [bomb])
    crowded = many_entries_docx(tmp_path / "crowded.docx", documents["docx"], 200)
    strict = Settings(data_dir=settings.data_dir, limits={"max_archive_entries": 100})
    with pytest.raises(LimitExceeded, match="max_archive_entries"):
        call_task(strict, "asset.inspect", {}, [crowded])


class _Tracker(http.server.BaseHTTPRequestHandler):
    hits: list[str] = []

    def do_GET(self) -> None:  # noqa: N802 - the http.server API
        _Tracker.hits.append(self.path)
        self.send_response(404)
        self.end_headers()

    def log_message(self, *args) -> None:
        pass


@needs_libreoffice
@pytest.mark.slow
def test_macros_and_external_references_are_reported_never_run_or_fetched(settings, documents, tmp_path):
    facts, _ = call_task(settings, "asset.inspect", {}, [documents["docm"]])
    document = facts["document"]
    assert facts["mime"] == "application/vnd.ms-word.document.macroEnabled.12"
    assert document["macros"] is True and document["external_references"] == 1
    # Given a receiver on the address the document links to, rendering its thumbnail fetches nothing.
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Tracker)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    linked = tmp_path / "linked.docx"
    with zipfile.ZipFile(documents["docm"]) as original, zipfile.ZipFile(linked, "w") as patched:
        for info in original.infolist():
            body = original.read(info).replace(b"http://127.0.0.1:9/", f"http://127.0.0.1:{server.server_port}/".encode())
            patched.writestr(info, body)
    try:
        result, _ = call_task(settings, "asset.thumbnail", {}, [linked])
    finally:
        server.shutdown()
    assert result["source_kind"] == "document" and result["file_type"] == "DOCUMENT"
    assert _Tracker.hits == []


@needs_libreoffice
@pytest.mark.slow
@pytest.mark.parametrize("name", ["docx", "xlsx", "pptx", "odt", "rtf", "md"])
def test_first_page_thumbnail(settings, documents, name, tmp_path):
    import pyvips

    result, ctx = call_task(settings, "asset.thumbnail", {"crop": "none", "format": "png"}, [documents[name]])
    assert result["file_type"] == "DOCUMENT" and max(result["width"], result["height"]) == 200
    page = pyvips.Image.new_from_file(str(ctx.store.copy_to(result["thumbnail"]["artifact"], tmp_path / "t.png")))
    # A white page with dark text on it: mostly light, but not blank.
    assert page.avg() > 200 and page.colourspace("b-w")[0].min() < 180
