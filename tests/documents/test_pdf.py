"""Rendering: the text is there, the PDF is tagged, only static and authorised media are fetched."""

from __future__ import annotations

import io
import re
import subprocess
from pathlib import Path

import pytest
from flask_babel import force_locale
from PIL import Image
from pypdf import PdfReader

from app.core import pdf, storage
from tests.support.documents import BODY, TEST_TEMPLATE, header_scopes, pdftotext

pytestmark = pytest.mark.usefixtures("app_ctx")

PNG_1PX = (
    "data:image/png;base64,"
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
)


def render(**values) -> bytes:
    return pdf.render_pdf(
        TEST_TEMPLATE,
        school_name="Basisschool De Linde",
        document_title="Toestemming video-opnamen",
        heading="Toestemming",
        body=BODY,
        **values,
    )


def images_in(data: bytes, tmp_path: Path) -> int:
    path = tmp_path / "images.pdf"
    path.write_bytes(data)
    listing = subprocess.run(
        ["pdfimages", "-list", str(path)], capture_output=True, text=True, check=True
    ).stdout
    rows = [line.split() for line in listing.strip().splitlines()[2:]]  # two header lines
    return sum(1 for row in rows if row[2] == "image")  # not counting soft masks


def test_render_shows_dutch_text_school_and_page_numbers(tmp_path):
    text = pdftotext(render(), tmp_path)
    assert BODY in text
    assert "Basisschool De Linde" in text
    assert "Toestemming video-opnamen" in text
    assert "pagina 1 van 1" in text  # Dutch, the default language
    assert "%PDF-" not in text


def test_page_counter_is_translatable_css():
    assert str(pdf.page_counter_content()) == '"pagina " counter(page) " van " counter(pages)'
    with force_locale("en"):
        content = str(pdf.page_counter_content())
    assert content == '"page " counter(page) " of " counter(pages)'
    # Quotes, backslashes and markup in a translation cannot break out of the CSS string.
    assert pdf._css_string('a"b\\c</style>') == '"a\\22 b\\5c c\\3c /style\\3e "'


def test_only_templates_under_pdf_are_rendered():
    with pytest.raises(ValueError):
        pdf.render_pdf("base.html")
    with pytest.raises(ValueError):
        pdf.render_pdf("pdf/../base.html")


def test_fetcher_refuses_files_outside_static_and_remote_urls(app):
    fetcher = pdf.static_fetcher()
    static = Path(app.static_folder).resolve()
    for url in (
        "file:///etc/passwd",
        "http://example.org/x.png",
        "https://example.org/static/css/print.css",
        f"{pdf.PRINT_BASE_URL}static/../config.py",
        f"{pdf.PRINT_BASE_URL}static/%2e%2e/config.py",
        f"{pdf.PRINT_BASE_URL}app/core/pdf.py",
        f"file://{static}/../config.py",
        "ftp://example.org/x.png",
    ):
        with pytest.raises(ValueError):
            fetcher.fetch(url)
    # What it does serve: static files, by the print origin or by path, and data: URLs.
    css = fetcher.fetch(f"{pdf.PRINT_BASE_URL}static/css/print.css")
    assert b"@page" in css.read() and css.content_type == "text/css"
    assert fetcher.fetch(f"file://{static}/img/logo.svg").read().startswith(b"<svg")
    assert fetcher.fetch(PNG_1PX).read().startswith(b"\x89PNG")


def test_refused_images_are_left_out_of_the_document(tmp_path, monkeypatch):
    def no_network(*args, **kwargs):
        raise AssertionError("the renderer tried to reach the network")

    monkeypatch.setattr("socket.create_connection", no_network)
    monkeypatch.setattr("socket.getaddrinfo", no_network)
    hostile = render(hostile_image="file:///etc/passwd")
    assert images_in(hostile, tmp_path) == 0
    remote = render(hostile_image="http://example.org/x.png")
    assert images_in(remote, tmp_path) == 0
    # A data: image (a drawn signature) is embedded.
    assert images_in(render(image=PNG_1PX), tmp_path) == 1


# --- stored media the caller authorised ------------------------------------------------------

MEDIA_TEMPLATE = "pdf/test_media.html"


def poster(colour: tuple[int, int, int] = (200, 30, 30)) -> str:
    """Store a small PNG the way posters are stored; returns its key."""
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), colour).save(buffer, "PNG")
    return storage.store_bytes(buffer.getvalue(), folder="posters", suffix=".png").key


def render_media(posters=(), raw_urls=(), media_keys=()) -> bytes:
    return pdf.render_pdf(
        MEDIA_TEMPLATE,
        media_keys=media_keys,
        school_name="Basisschool De Linde",
        document_title="Verslag van het gesprek",
        heading="Beelden",
        posters=list(posters),
        raw_urls=list(raw_urls),
    )


def test_authorised_posters_are_embedded_and_others_left_out(app, tmp_path):
    allowed, other = poster(), poster((30, 200, 30))
    # The template asks for both; the caller authorised one.
    data = render_media(posters=[allowed, other], media_keys=[allowed])
    assert images_in(data, tmp_path) == 1
    assert images_in(render_media(posters=[allowed, other]), tmp_path) == 0
    assert (
        images_in(render_media(posters=[allowed, other], media_keys=[allowed, other]), tmp_path)
        == 2
    )
    # The stored file by its path on disk, or through the app's own address, is no way round.
    path = storage.path_of(other)
    hostile = [f"file://{path}", f"{app.config['BASE_URL']}/_media/{other}"]
    assert images_in(render_media(raw_urls=hostile, media_keys=[allowed]), tmp_path) == 0


def test_media_fetcher_serves_only_the_authorised_keys(app):
    allowed, other = poster(), poster((30, 200, 30))
    fetcher = pdf.static_fetcher([allowed])
    response = fetcher.fetch(pdf.media_url(allowed))
    assert response.read() == storage.path_of(allowed).read_bytes()
    assert response.content_type == "image/png"
    media_root = Path(app.config["MEDIA_ROOT"]).resolve()
    for url in (
        pdf.media_url(other),  # stored, but not allowed for this document
        pdf.media_url(allowed) + "?x=1",
        pdf.media_url("posters/../" + allowed),
        pdf.media_url("../config.py"),
        f"{pdf.PRINT_BASE_URL}_media/{allowed.replace('/', '%2F')}x",
        f"file://{storage.path_of(allowed)}",
        f"file://{media_root}/{allowed}",
        f"http://localhost/_media/{allowed}",  # the app's own origin is not the print origin
        f"https://example.org/_media/{allowed}",
    ):
        with pytest.raises(ValueError):
            fetcher.fetch(url)
    # Static files still come through the same fetcher.
    assert b"@page" in fetcher.fetch(f"{pdf.PRINT_BASE_URL}static/css/print.css").read()


def test_a_media_key_storage_never_issued_is_refused_before_rendering():
    with pytest.raises(storage.InvalidKeyError):
        render_media(media_keys=["../../etc/passwd"])


# --- tagged PDF (PDF/UA-2) -------------------------------------------------------------------


def structure(node, depth=0):
    """(type, alt text) of every element in a PDF's structure tree, depth first."""
    node = node.get_object()
    found = []
    if "/S" in node:
        found.append((str(node["/S"]), node.get("/Alt")))
    kids = node.get("/K")
    if kids is None:
        return found
    for kid in kids if isinstance(kids, list) else [kids]:
        kid = kid.get_object()
        if hasattr(kid, "keys"):
            found.extend(structure(kid, depth + 1))
    return found


def test_issued_pdfs_are_tagged_for_screen_readers(tmp_path):
    data = render_media(posters=[key := poster()], media_keys=[key])
    reader = PdfReader(io.BytesIO(data))
    catalogue = reader.trailer["/Root"]
    assert catalogue["/MarkInfo"]["/Marked"].value is True
    assert "/StructTreeRoot" in catalogue
    assert catalogue["/Lang"] == "nl"
    assert catalogue["/ViewerPreferences"]["/DisplayDocTitle"].value is True
    assert reader.metadata.title == "Verslag van het gesprek"
    metadata = catalogue["/Metadata"].get_object().get_data()
    assert re.search(rb"pdfuaid:part[^0-9]{1,4}2", metadata), metadata[:400]
    # PDF/UA-2 lives on PDF 2.0, the version a seal with the school's EC key needs anyway.
    assert data.startswith(b"%PDF-2.0")

    elements = structure(catalogue["/StructTreeRoot"])
    kinds = [kind for kind, _ in elements]
    assert "/H1" in kinds and "/H2" in kinds and "/P" in kinds
    assert ("/Figure", "Poster 1") in elements  # the image has its alternative text

    path = tmp_path / "tagged.pdf"
    path.write_bytes(data)
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True).stdout
    assert "Tagged:          yes" in info
    tree = subprocess.run(
        ["pdfinfo", "-struct-text", str(path)], capture_output=True, text=True
    ).stdout
    assert "H1 (block)" in tree and "Figure" in tree and '"Beelden"' in tree


def test_the_language_tag_follows_the_printed_language():
    with force_locale("en"):
        data = render()
    assert PdfReader(io.BytesIO(data)).trailer["/Root"]["/Lang"] == "en"


def test_every_image_in_a_print_layout_has_alternative_text(app):
    # PDF/UA needs it, and WeasyPrint takes the tag's alt; a new layout without one fails here.
    folder = Path(app.root_path).parent / "templates" / "pdf"
    layouts = sorted(folder.glob("*.html"))
    assert layouts
    for layout in layouts:
        for tag in re.findall(r"<img\b[^>]*>", layout.read_text()):
            assert re.search(r"\balt=", tag), f"{layout.name}: {tag}"


def test_table_headers_carry_their_scope_for_screen_readers(tmp_path):
    data = pdf.render_pdf("pdf/test_table.html", school_name="De Linde", heading="Afspraken")
    # A screen reader announces "Wie" with each cell below it, "Thuis" with each cell beside it.
    assert header_scopes(data, tmp_path) == ["Column", "Column", "Row", "Row"]
