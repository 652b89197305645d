"""Clip pages: upload. The upload page and a small tus 1.0 server (core, creation,
termination, expiration) under ``/children/<id>/clips/uploads``.

CSRF: tus requests come from our own page's script, which sends the form token in the
``X-CSRFToken`` header. Flask-WTF's global check would read the body to look for a form field
before the view can raise the request's size limit above ``MAX_CONTENT_LENGTH`` for an 8 MiB
chunk, so these views are exempt from the global hook and validate the very same token
themselves (:func:`_check_csrf`), before anything is read or stored.
"""

from __future__ import annotations

import logging
from email.utils import format_datetime
from typing import Any

from flask import current_app, render_template, request, url_for
from flask_wtf.csrf import CSRFError, validate_csrf
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import ClientDisconnected
from wtforms.validators import ValidationError

from app.circle import routes
from app.circle.audience import Audience, settable_audiences
from app.circle.policy import Action, Seat
from app.clips import bp
from app.clips.services import cutting
from app.clips.services import upload as uploads
from app.core import resumable, storage
from app.core.db import db
from app.core.i18n import gettext as _
from app.extensions import csrf

log = logging.getLogger("beeldbrug.clips.upload")

TUS_VERSION = "1.0.0"
TUS_EXTENSIONS = "creation,termination,expiration"
OFFSET_TYPE = "application/offset+octet-stream"
CHUNK_BYTES = 8 * 1024 * 1024  # what the page sends at a time: below nginx's body limit


@bp.url_value_preprocessor
def _limit_chunk(endpoint: str | None, values: dict[str, Any] | None) -> None:
    # URL value preprocessors run before every before_request hook: a part of an upload may be
    # larger than any form (MAX_CONTENT_LENGTH) before anything looks at the body. The part's
    # own limit, the rest of the declared length, is checked by the view before reading.
    if endpoint == "clips.tus_upload" and request.method == "PATCH":
        request.max_content_length = storage.upload_limit()


@bp.get("/children/<int:child_id>/clips/upload")
@routes.for_child(Action.VIEW_CLIPS, check=uploads.may_upload)
def upload_page(seat: Seat) -> Any:
    child = seat.child
    source = uploads.source_for(seat)
    refusal = uploads.consent_refusal(child, source)
    audiences = settable_audiences(seat, uploader_id=seat.user.id, current=None)
    return render_template(
        "clips/upload.html",
        child=child,
        source=source,
        refusal=refusal.message if refusal else None,
        audiences=[a for a in audiences if a is not Audience.CIRCLE],
        endpoint=url_for("clips.tus_create", child_id=child.id),
        chunk_bytes=CHUNK_BYTES,
        max_bytes=storage.upload_limit(),
    )


@bp.route("/children/<int:child_id>/clips/uploads", methods=["POST", "OPTIONS"])
@routes.for_child(Action.VIEW_CLIPS, check=uploads.may_upload)
@csrf.exempt
def tus_create(seat: Seat) -> Any:
    if request.method == "OPTIONS":
        return _tus(
            "",
            204,
            **{
                "Tus-Version": TUS_VERSION,
                "Tus-Extension": TUS_EXTENSIONS,
                "Tus-Max-Size": str(storage.upload_limit()),
            },
        )
    refused = _check_protocol()
    if refused is not None:
        return refused
    length = _int_header("Upload-Length")
    if length is None:
        return _tus(_("The upload did not say how large the file is."), 400)
    try:
        details = uploads.details_from(
            uploads.parse_metadata(request.headers.get("Upload-Metadata"))
        )
        row = uploads.start(db.session, seat, length=length, details=details)
    except uploads.UploadRefusedError as error:
        return _tus(str(error.message), error.status)
    db.session.commit()
    location = url_for("clips.tus_upload", child_id=seat.child.id, upload_id=row.upload_id)
    return _tus("", 201, Location=location, **_expires(row))


@bp.route("/children/<int:child_id>/clips/uploads/<upload_id>", methods=["HEAD", "PATCH", "DELETE"])
@routes.for_child(Action.VIEW_CLIPS, check=uploads.may_upload)
@csrf.exempt
def tus_upload(seat: Seat, upload_id: str) -> Any:
    refused = _check_protocol()
    if refused is not None:
        return refused
    row = uploads.upload_or_404(db.session, seat, upload_id)
    try:
        if request.method == "HEAD":
            state = uploads.status(row)
            return _tus(
                "",
                200,
                **{
                    "Upload-Offset": str(state.offset),
                    "Upload-Length": str(state.length),
                    "Cache-Control": "no-store",
                    **_expires(row),
                },
            )
        if request.method == "DELETE":
            uploads.cancel(db.session, row)
            db.session.commit()
            return _tus("", 204)
        return _patch(seat, row)
    except resumable.UnknownUploadError:
        return _tus(_("This upload no longer exists. Start it again."), 404)


def _patch(seat: Seat, row: Any) -> Any:
    if request.mimetype != OFFSET_TYPE:
        return _tus(_("The upload was sent in a form Beeldbrug does not understand."), 415)
    offset, content_length = _int_header("Upload-Offset"), request.content_length
    if offset is None:
        return _tus(_("The upload did not say where this part begins."), 400)
    if content_length is None:
        return _tus(_("The upload did not say how large this part is."), 411)
    try:
        state = uploads.receive(
            row, _UntilDropped(request.stream), offset=offset, content_length=content_length
        )
    except resumable.OffsetMismatchError as error:
        return _tus(
            _("This part does not continue where the upload stands."),
            409,
            **{"Upload-Offset": str(error.expected)},
        )
    except uploads.DiskFullError as error:
        # The partial file is gone already; the row goes too, so nothing waits to resume.
        db.session.rollback()
        try:
            uploads.abandon(db.session, row, actor=seat.user, reason="disk_full")
            db.session.commit()
        except SQLAlchemyError:
            # A database on the same full disk: the daily sweep removes the row later.
            db.session.rollback()
            log.exception("the row of an upload stopped by a full disk stays until the sweep")
        return _tus(str(error.message), error.status)
    except uploads.UploadRefusedError as error:
        return _tus(str(error.message), error.status)
    db.session.commit()
    headers = {"Upload-Offset": str(state.offset), **_expires(row)}
    if state.offset < offset + content_length:
        # The connection dropped: what arrived is kept, the client resumes from HEAD's offset.
        return _tus(_("The connection was lost. The upload continues where it stopped."), 400)
    if not state.complete:
        return _tus("", 204, **headers)
    try:
        clip = uploads.complete(db.session, row, seat=seat)
    except uploads.UploadRefusedError as error:
        db.session.commit()  # the refusal's audit event and the removal of the row
        return _tus(str(error.message), error.status)
    db.session.commit()
    cutting.enqueue(clip)
    return _tus("", 204, **{**headers, "Beeldbrug-Clip": str(clip.id)})


class _UntilDropped:
    """The request body, ending where a dropped connection ends it instead of raising:
    append_partial then keeps the bytes that did arrive."""

    def __init__(self, stream: Any) -> None:
        self.stream = stream

    def read(self, size: int = -1) -> bytes:
        try:
            return self.stream.read(size)
        except ClientDisconnected:
            return b""


def _check_protocol() -> Any:
    """412 for another protocol version; 400 for a missing or wrong CSRF token."""
    if request.headers.get("Tus-Resumable") != TUS_VERSION:
        return _tus(
            _("This upload uses a protocol version Beeldbrug does not support."),
            412,
            **{"Tus-Version": TUS_VERSION},
        )
    if request.method in {"POST", "PATCH", "DELETE"}:
        _check_csrf()
    return None


def _check_csrf() -> None:
    config = current_app.config
    if not config.get("WTF_CSRF_ENABLED", True):
        return
    try:
        validate_csrf(request.headers.get("X-CSRFToken") or request.headers.get("X-CSRF-Token"))
    except ValidationError as error:
        raise CSRFError(error.args[0]) from error


def _int_header(name: str) -> int | None:
    value = request.headers.get(name, "")
    return int(value) if value.isascii() and value.isdigit() and len(value) < 20 else None


def _expires(row: Any) -> dict[str, str]:
    return {"Upload-Expires": format_datetime(row.expires_at, usegmt=True)}


def _tus(body: str, status: int, **headers: str) -> Any:
    headers = {"Tus-Resumable": TUS_VERSION, "Cache-Control": "no-store", **headers}
    if body:
        headers["Content-Type"] = "text/plain; charset=utf-8"
    return body, status, headers
