"""A child's export asked for and built as the worker builds it."""

from __future__ import annotations

from typing import Any

from app.children.export import service
from app.children.export.models import ChildExport
from app.circle.models import Child, User
from app.circle.policy import seat_for
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
