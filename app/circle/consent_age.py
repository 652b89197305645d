"""Who decides for a child on a date: the guardians in the circle, or from the consent age (16)
on the pupil. Consent asks it (who signs), the circle asks it (a pupil may be invited only from
then on), and the support plan will (who agrees with its action part)."""

from __future__ import annotations

from datetime import date

from app.circle.models import Child, Role
from app.core.clock import local_date

CONSENT_AGE = 16


def consent_age_on(date_of_birth: date) -> date:
    """The day the pupil reaches the consent age (29 February counts as 1 March)."""
    year = date_of_birth.year + CONSENT_AGE
    try:
        return date_of_birth.replace(year=year)
    except ValueError:
        return date(year, 3, 1)


def pupil_decides(date_of_birth: date, on: date) -> bool:
    """True when a pupil born on ``date_of_birth`` decides for themself on ``on``."""
    return on >= consent_age_on(date_of_birth)


def deciding_role(child: Child, on: date | None = None) -> Role:
    """The circle role whose members decide for ``child`` on ``on`` (default: today on the
    school's calendar): ``Role.PARENT`` before the consent age, ``Role.PUPIL`` from it."""
    return Role.PUPIL if pupil_decides(child.date_of_birth, on or local_date()) else Role.PARENT
