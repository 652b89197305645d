"""Anchoring the audit chain with the school's seal key: daily, and on demand from the CLI.

The machinery is :mod:`app.core.audit_anchor`; this module picks the key: the installation's
configured PKCS#12 when there is one (``SIGNING_PKCS12_PATH``), else the key of the first
school (the lowest id), the school an embedded installation is for.
"""

from __future__ import annotations

import logging

from huey import crontab
from sqlalchemy import select

from app.circle.models import School
from app.core import audit_anchor
from app.core.db import DbSession, db
from app.core.jobs import periodic_job

log = logging.getLogger("beeldbrug.audit")


def anchor_now(session: DbSession) -> audit_anchor.Anchor:
    """Seal the head of the audit chain into a new anchor file and record it (commit after).

    Raises audit_anchor.AnchorRefused when there is no school yet, or the chain is empty or
    broken; seal.SigningError when the key cannot be had; OSError when the file cannot be
    written.
    """
    school = session.scalar(select(School).order_by(School.id).limit(1))
    if school is None:
        raise audit_anchor.AnchorRefused("there is no school yet: nothing to anchor")
    return audit_anchor.make_anchor(session, school)


# 02:50 UTC: after the day's last events in Amsterdam, before the purge at 03:15.
@periodic_job(crontab(hour="2", minute="50"))
def anchor_audit_chain() -> int | None:
    """Every day: anchor the head of the audit chain (:func:`anchor_now`); returns the number
    of events anchored, or None when refused (logged as an error)."""
    try:
        anchor = anchor_now(db.session)
    except audit_anchor.AnchorRefused as refused:
        db.session.rollback()
        log.error("audit chain NOT anchored: %s", refused)
        return None
    db.session.commit()
    return anchor.length
