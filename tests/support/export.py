"""A child's export asked for and built as the worker builds it."""

from __future__ import annotations

import io
import zipfile
from typing import Any

from app.children.export import service
from app.children.export.models import ChildExport, ExportState
from app.circle.models import Child, User
from app.circle.policy import seat_for
from app.core import storage
from app.core.db import db


def export_for(app: Any, user: User, child: Child) -> ChildExport:
    """Ask for an export as ``user`` through the service and run the job as the worker would."""
    with app.app_context():
        seat = seat_for(db.session.get(User, user.id), db.session.get(Child, child.id))
        assert seat is not None
        export = service.request_export(db.session, seat)
        db.session.commit()
        export_id = export.id
        assert service.build_child_export.call_local(export_id) is None
    db.session.expire_all()
    found = db.session.get(ChildExport, export_id)
    assert found is not None
    return found


def unzip(app: Any, export: ChildExport) -> zipfile.ZipFile:
    """The built export's zip, checked whole."""
    assert export.state is ExportState.READY, export.failure
    assert export.storage_key is not None
    with app.app_context():
        data = storage.path_of(export.storage_key).read_bytes()
    archive = zipfile.ZipFile(io.BytesIO(data))
    assert archive.testzip() is None
    return archive
