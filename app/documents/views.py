"""Checking a PDF that Beeldbrug issued, and the download helper other features use."""

from __future__ import annotations

import re
import unicodedata
from typing import IO, Any

from flask import Response, render_template, request, send_file
from flask_login import current_user

from app.core import access, storage
from app.core.db import db
from app.core.requests import accepts_files
from app.documents import bp, services
from app.documents.forms import KIND_LABELS, MAX_VERIFY_BYTES, TOO_LARGE, VerifyForm
from app.documents.models import Document

# Room for the multipart framing and the CSRF field around the file itself.
_BODY_LIMIT = MAX_VERIFY_BYTES + 64 * 1024


@bp.url_value_preprocessor
def _limit_upload(endpoint: str | None, values: dict[str, Any] | None) -> None:
    # URL value preprocessors run before every before_request hook, so the limit is in place
    # before CSRF protection parses the body: a larger body gets 413 without being read.
    if endpoint == "documents.verify" and request.method == "POST":
        request.max_content_length = _BODY_LIMIT


@bp.route("/documents/verify", methods=["GET", "POST"])
@access.staff_only
@accepts_files("file")
def verify() -> Any:
    form = VerifyForm()
    result = None
    if form.validate_on_submit():
        data = _read_at_most(form.file.data.stream, MAX_VERIFY_BYTES)
        if data is None:
            form.file.errors = [TOO_LARGE]
        else:
            result = services.verify_upload(db.session, data)
            services.record_verification(db.session, result, actor=current_user)
            db.session.commit()
    return render_template(
        "documents/verify.html", form=form, result=result, kind_labels=KIND_LABELS
    )


def _read_at_most(stream: IO[bytes], limit: int) -> bytes | None:
    """The stream's bytes, or None when there are more than ``limit``."""
    data = stream.read(limit + 1)
    return None if len(data) > limit else data


def download_name(document: Document) -> str:
    """A safe file name for ``document``: its title in plain ASCII and the issue date."""
    plain = unicodedata.normalize("NFKD", document.title).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", plain.lower()).strip("-")[:60].rstrip("-") or "document"
    return f"{slug}-{document.issued_at:%Y-%m-%d}.pdf"


def send_document(document: Document) -> Response:
    """Send an issued PDF as a download. The caller has already checked access.

    Raises storage.InvalidKeyError for a tampered storage key and FileNotFoundError when the
    file is missing (both end as a logged 500).
    """
    response = send_file(
        storage.path_of(document.storage_key),
        mimetype="application/pdf",
        as_attachment=True,
        download_name=download_name(document),
        etag=document.sha256,
        max_age=0,
    )
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cross-Origin-Resource-Policy"] = "same-origin"
    return response
