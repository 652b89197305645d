"""Circles as several features' tests need them, and dates of birth for a given consent age."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from app.circle.consent_age import CONSENT_AGE, consent_age_on
from app.circle.models import Child, Membership, Role
from app.core.db import db, utcnow


def pupil_of_sixteen(child: Child, make_user: Callable[..., Any]) -> Any:
    """Make ``child`` seventeen this year (on any date) and add the child to the circle as
    pupil; the parent's consent record, signed earlier, stays the parent's."""
    pupil = make_user("Sem zelf")
    db.session.get(Child, child.id).date_of_birth = date(utcnow().year - 17, 1, 1)
    db.session.add(Membership(child_id=child.id, user_id=pupil.id, role=Role.PUPIL))
    db.session.commit()
    return pupil


def born_reaching_consent_age_on(day: date) -> date:
    """A date of birth of a pupil who reaches the consent age on ``day``, for any ``day``.

    ``day.replace(year=...)`` fails on 29 February when the year of birth has none; then no
    birthday reaches the consent age on that very day, and the day before is the nearest (the
    pupil decides from the 28th). Holds ``app.circle.consent_age.consent_age_on`` to it.
    """
    year = day.year - CONSENT_AGE
    try:
        born = day.replace(year=year)
    except ValueError:  # 29 February, and the year of birth has none
        born = date(year, 2, 28)
    assert consent_age_on(born) <= day < consent_age_on(born + timedelta(days=1))
    return born
