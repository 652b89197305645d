"""Static addresses carry the file's version, so a year-long cache survives an upgrade."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from flask import url_for

from app.core.assets import version_of

ROOT = Path(__file__).resolve().parents[2]


def test_static_addresses_carry_the_files_hash(app_ctx):
    stylesheet = (ROOT / "static" / "css" / "app.css").read_bytes()
    version = hashlib.sha256(stylesheet).hexdigest()[:12]
    assert url_for("static", filename="css/app.css") == f"/static/css/app.css?v={version}"
    assert url_for("static", filename="css/missing.css") == "/static/css/missing.css"
    assert url_for("static", filename="") == "/static/"  # the PDF fetcher's prefix


def test_a_changed_file_gets_a_new_version(tmp_path):
    path = tmp_path / "app.js"
    path.write_text("export const a = 1;\n")
    first = version_of(tmp_path, "app.js")
    path.write_text("export const a = 2;\n")
    os.utime(path, ns=(1, 1))
    second = version_of(tmp_path, "app.js")
    assert first and second and first != second
    assert version_of(tmp_path, "../app.js") is None
    assert version_of(tmp_path, "nothing.js") is None


def test_a_version_is_looked_at_again_after_a_few_seconds(tmp_path, monkeypatch):
    from app.core import assets

    clock = [1000.0]
    monkeypatch.setattr(assets.time, "monotonic", lambda: clock[0])
    path = tmp_path / "app.css"
    path.write_text("a {}\n")
    first = assets.recent_version_of(tmp_path, "app.css")
    path.write_text("b {}\n")
    os.utime(path, ns=(2, 2))
    assert assets.recent_version_of(tmp_path, "app.css") == first  # a page's worth of reuse
    clock[0] += assets.RECHECK_SECONDS
    assert assets.recent_version_of(tmp_path, "app.css") not in (None, first)
