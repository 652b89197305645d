"""Dates on the school's calendar.

Timestamps are stored in UTC; people live in Europe/Amsterdam (``BABEL_DEFAULT_TIMEZONE``). A
Dutch day starts one or two hours before the UTC day does, so every rule about a date (a
birthday, an end date "up to and including", an expiry shown as a date) asks these helpers,
never ``utcnow().date()``.
"""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from flask import current_app

from app.core.db import utcnow


def display_zone() -> ZoneInfo:
    """The school's time zone (``DISPLAY_TIMEZONE``, Europe/Amsterdam by default)."""
    return ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])


def local_date(moment: datetime | None = None) -> date:
    """The date on the school's calendar at ``moment`` (default: now).

    A Dutch day starts at midnight in Amsterdam, one or two hours before it does in UTC:
    birthdays and "up to and including" dates count from there. Needs an app context.
    """
    return (moment or utcnow()).astimezone(display_zone()).date()


def end_of_local_day(day: date) -> datetime:
    """The last instant of ``day`` on the school's calendar (aware, in that zone)."""
    return datetime.combine(day, time.max, tzinfo=display_zone())


def age_on(born: date, today: date | None = None) -> int:
    """Age in whole years on ``today`` (default: today on the school's calendar)."""
    today = today or local_date()
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))
