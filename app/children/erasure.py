"""Erasure of a child by a school admin of its school (DESIGN.md §2 journey 8, SECURITY H.36).

It lives on the composition floor, above every feature, because it takes everything about one
child from each of them by name, the child's own exports included.

Everything about the child goes: footage and posters, moments, uploads still arriving, consent
records, meetings with their agendas, notes, agreements and summaries, the documents past their
retention term (``app.documents.erasure`` says which stay, detached), memberships, invitations,
the mails and jobs still queued for it, and the personal details of every audit event about
it. What stays: a :class:`ChildTombstone` (id, school, when, by whom; no name) and the audit
events themselves, whose chain still verifies (it covers only the erased details' digest).

Each feature erases its own rows through one function, ``erase_child(session, child)``, listed
in :data:`ERASERS`. Adding a feature's eraser is one line in that list. Files and queued jobs
go only after the commit (:func:`app.core.after_commit.defer`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from app.children.export import erasure as exports
from app.circle import policy
from app.circle.models import Child, ChildTombstone, User
from app.clips.services import erasure as clips
from app.consent.services import erasure as consent
from app.core import after_commit, audit, mail
from app.core.clock import local_date
from app.core.db import DbSession
from app.core.errors import ForbiddenError, RefusedError
from app.core.i18n import lazy_gettext as _l
from app.core.search import fold
from app.documents import erasure as documents
from app.meetings.services import erasure as meetings
from app.people import erasure as people
from app.plans import erasure as plans

Eraser = Callable[[DbSession, Child], None]

#: Every eraser, the top floor first (the child's exports, then the features): a feature's
#: rows may point at the rows of a feature below it (an agenda item at a clip), never above,
#: so they go first. People (the circle) come last; the child's row then becomes its
#: tombstone.
ERASERS: tuple[Eraser, ...] = (
    exports.erase_child,
    plans.erase_child,
    meetings.erase_child,
    clips.erase_child,
    consent.erase_child,
    documents.erase_child,
    people.erase_child,
)

NOT_CONFIRMED = _l("Tick the box to confirm that you want to erase this child for good.")
WRONG_NAME = _l("This is not the child's full name as the school knows it: nothing was erased.")


@dataclass(frozen=True)
class ErasurePreview:
    """What the confirmation pages tell the admin before anything happens."""

    child: Child
    documents_kept: int
    kept_until: date | None


def preview(session: DbSession, child: Child) -> ErasurePreview:
    """What erasing ``child`` today would keep (documents within their retention term)."""
    kept, until = documents.kept_on_erasure(session, child, local_date())
    return ErasurePreview(child, kept, until)


def same_name(typed: str | None, name: str) -> bool:
    """Whether ``typed`` is ``name``, whatever the case, accents or spaces around words."""
    return fold(" ".join((typed or "").split())) == fold(" ".join(name.split()))


def erase_child(
    session: DbSession, child: Child, *, actor: User, typed_name: str | None, confirmed: bool
) -> ChildTombstone:
    """Erase ``child`` for ``actor`` (see the module's docstring); returns its tombstone.

    Raises ForbiddenError unless ``actor`` is a school admin of the child's school;
    RefusedError (field ``confirm``) without the confirmation, RefusedError (field ``name``)
    when ``typed_name`` is not the child's name. Nothing changes then. The caller commits;
    files and queued jobs go after that commit.
    """
    if not policy.may_erase_child(actor, child):
        raise ForbiddenError("not_admin_of_child_school")
    if not confirmed:
        raise RefusedError(NOT_CONFIRMED, field="confirm")
    if not same_name(typed_name, child.name):
        raise RefusedError(WRONG_NAME, field="name")
    kept, _until = documents.kept_on_erasure(session, child, local_date())
    child_id = child.id
    for eraser in ERASERS:
        eraser(session, child)
    erased_details = audit.erase_personal_about_child(session, child_id)
    after_commit.defer(session, lambda: mail.revoke_queued_about(child_id))
    tombstone = people.leave_tombstone(session, child, actor=actor)
    audit.record(
        session,
        "child_erased",
        actor=actor,
        child=child_id,
        data={"documents_kept": kept, "audit_details_erased": erased_details},
    )
    return tombstone
