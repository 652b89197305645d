"""The export pages: ask for an export of the child's data, follow its progress, download it
once. The routes declare ``Action.EXPORT_CHILD``; an export is its requester's alone (someone
else's id answers 404)."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, send_file, url_for

from app.children import bp
from app.children.export import delivery, service
from app.children.export.models import ExportState
from app.circle import routes
from app.circle.policy import Action, Seat
from app.core.db import db
from app.core.errors import RefusedError
from app.core.forms import ConfirmForm
from app.core.i18n import gettext as _
from app.core.storage import SEND_HEADERS

#: Seconds between the progress page's own refreshes while the export is being built.
REFRESH_SECONDS = 3


@bp.get("/children/<int:child_id>/export")
@routes.for_child(Action.EXPORT_CHILD)
def export_page(seat: Seat) -> Any:
    return render_template(
        "children/export.html",
        child=seat.child,
        exports=service.exports_of(db.session, seat),
        form=ConfirmForm(),
    )


@bp.post("/children/<int:child_id>/export")
@routes.for_child(Action.EXPORT_CHILD)
def request_export(seat: Seat) -> Any:
    form = ConfirmForm()
    if not form.validate_on_submit():
        return render_template(
            "children/export.html",
            child=seat.child,
            exports=service.exports_of(db.session, seat),
            form=form,
        ), 400
    export = service.request_export(db.session, seat)
    db.session.commit()
    if export.state is ExportState.QUEUED:
        service.build_child_export(export.id)  # a second queuing finds it claimed: no-op
    return redirect(url_for("children.export_status", child_id=seat.child.id, export_id=export.id))


@bp.get("/children/<int:child_id>/export/<int:export_id>")
@routes.for_child(Action.EXPORT_CHILD)
def export_status(seat: Seat, export_id: int) -> Any:
    export = service.export_or_404(db.session, seat, export_id)
    return render_template(
        "children/export_status.html",
        child=seat.child,
        export=export,
        form=ConfirmForm(),
        refresh=REFRESH_SECONDS if export.is_working else None,
    )


@bp.post("/children/<int:child_id>/export/<int:export_id>/download")
@routes.for_child(Action.EXPORT_CHILD)
def download_export(seat: Seat, export_id: int) -> Any:
    export = service.export_or_404(db.session, seat, export_id)
    form = ConfirmForm()
    if not form.validate_on_submit():
        flash(_("The download was not confirmed. Please try again."), "error")
        return redirect(
            url_for("children.export_status", child_id=seat.child.id, export_id=export.id)
        )
    try:
        download = delivery.take_download(db.session, seat, export)
    except delivery.ExportGoneError as gone:
        db.session.rollback()
        return render_template(
            "errors/error.html", status=410, title=_("No longer available"), message=gone.message
        ), 410
    except RefusedError as refused:
        db.session.rollback()
        flash(str(refused.message), "error")
        return redirect(
            url_for("children.export_status", child_id=seat.child.id, export_id=export.id)
        )
    db.session.commit()
    delivery.drop_file(download)  # the open handle still reads it
    response = send_file(
        download.file,
        mimetype="application/zip",
        as_attachment=True,
        download_name=download.name,
        max_age=0,
    )
    response.headers.update(SEND_HEADERS)
    return response
