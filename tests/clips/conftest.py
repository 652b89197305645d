"""The worlds the clip tests share, one meaning per name.

``circle`` (the root conftest) is a child with a coach, a teacher, a specialist and two
parents; these add what consent allows, since footage is shown only as far as consent goes.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import update

from app.circle.models import User
from app.clips.models import Clip
from app.core.db import db
from tests.support.clips import uploaded
from tests.support.consent import sign_consent


@pytest.fixture
def consent_one_parent(app: Any, circle: Any) -> Any:
    """The circle, with one parent's yes to every purpose; the other parent has not answered."""
    sign_consent(app, circle.child, circle.parent)
    return circle


@pytest.fixture
def consent_both_parents(app: Any, circle: Any) -> Any:
    """The circle, with both parents' yes to every purpose."""
    sign_consent(app, circle.child, circle.parent)
    sign_consent(app, circle.child, circle.parent2)
    return circle


@pytest.fixture
def consent_one_parent_in_english(consent_one_parent: Any) -> Any:
    """``consent_one_parent``, with everyone in the circle reading the pages in English."""
    circle = consent_one_parent
    people = [circle.coach.id, circle.teacher.id, circle.specialist.id, circle.parent.id]
    db.session.execute(update(User).where(User.id.in_(people)).values(preferred_language="en"))
    db.session.commit()
    return circle


@pytest.fixture
def upload(app: Any, circle: Any) -> Callable[..., Clip]:
    """Make an uploaded clip of the circle's child by its teacher, waiting for the worker."""

    def make(video: Path, **values: Any) -> Clip:
        return uploaded(app, circle.child, circle.teacher, video, **values)

    return make
