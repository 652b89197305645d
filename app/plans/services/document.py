"""The sealed PDF of a version sent to the parents: rendered (app.core.pdf), sealed
(app.core.seal) and recorded (app.documents.services) when the version is sent, in the same
transaction, so no sent version exists without its document. It prints the parts and items
as the parents read them, never the links to their sources, and the snapshot's SHA-256."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flask import current_app
from flask_babel import force_locale

from app.circle.models import Child, User
from app.core.db import DbSession
from app.core.i18n import gettext as _
from app.documents.models import Document, DocumentKind
from app.documents.services import documents_for, issue_document
from app.plans.models import Part, PlanItem, PlanParentView, PlanVersion


def document_of(session: DbSession, version: PlanVersion) -> Document | None:
    """The sealed PDF issued for ``version`` (None for a draft)."""
    issued = documents_for(session, [version]).get(version, [])
    return issued[-1] if issued else None


def issue_pdf(
    session: DbSession,
    version: PlanVersion,
    child: Child,
    items: Sequence[PlanItem],
    views: Sequence[PlanParentView],
    *,
    actor: User,
) -> Document:
    """Render, seal, store and record the PDF of the sent ``version``. Raises what
    ``documents.services.issue_document`` raises; the caller's transaction then rolls back
    with the sending."""
    language = str(current_app.config.get("DEFAULT_LANGUAGE", "nl"))
    values: dict[str, Any] = {
        "version": version,
        "child": child,
        "parts": [(part, [i for i in items if i.part is part]) for part in Part],
        "views": views,
    }
    with force_locale(language):
        title = _("Support plan, version %(number)d", number=version.version)
        reason = _("Support plan sent to the parents, sealed by the school")
    return issue_document(
        session,
        school=child.school,
        kind=DocumentKind.SUPPORT_PLAN,
        child=child,
        subject=version,
        title=title,
        template="pdf/support_plan.html",
        values=values,
        actor=actor,
        reason=reason,
        language=language,
    )
