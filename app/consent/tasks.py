"""Background work of the consent feature."""

from __future__ import annotations

from huey import crontab

from app.consent import services
from app.core.db import db
from app.core.jobs import huey, job


@job()
def tell_coaches_about_consent_age() -> int:
    """Mail the coaches of children who reached the consent age today (each child once)."""
    told = services.notify_consent_age(db.session)
    db.session.commit()
    return told


@huey.periodic_task(crontab(hour="6", minute="30"), name="consent.daily_consent_age")
def daily_consent_age() -> None:
    tell_coaches_about_consent_age()
