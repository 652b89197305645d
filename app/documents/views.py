"""Checking a PDF that Beeldbrug issued."""

from __future__ import annotations

from typing import IO, Any

from flask import render_template, request
from flask_login import current_user

from app.circle import routes
from app.core.db import db
from app.core.requests import accepts_files
from app.documents import bp, services
from app.documents.forms import KIND_LABELS, MAX_VERIFY_BYTES, TOO_LARGE, VerifyForm

# Room for the multipart framing and the CSRF field around the file itself.
_BODY_LIMIT = MAX_VERIFY_BYTES + 64 * 1024


@bp.url_value_preprocessor
def _limit_upload(endpoint: str | None, values: dict[str, Any] | None) -> None:
    # URL value preprocessors run before every before_request hook, so the limit is in place
    # before CSRF protection parses the body: a larger body gets 413 without being read.
    if endpoint == "documents.verify" and request.method == "POST":
        request.max_content_length = _BODY_LIMIT


@bp.route("/documents/verify", methods=["GET", "POST"])
@routes.staff_only
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
