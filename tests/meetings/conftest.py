"""The worlds the meeting tests share.

``circle`` (the root conftest) is a child with a coach, a teacher, a specialist and two
parents; ``planned`` adds a shared review a week ahead to which the coach invited the teacher
and the first parent (not the specialist, not the second parent).
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.consent import sign_consent
from tests.support.meetings import plan


@pytest.fixture
def planned(app: Any, circle: Any, mailbox: Any) -> Any:
    """A shared review a week ahead: coach, teacher and the first parent invited; consent
    for everything signed by that parent; the invitation mails cleared away."""
    sign_consent(app, circle.child, circle.parent)
    meeting = plan(app, circle.child, circle.coach, [circle.coach, circle.teacher, circle.parent])
    mailbox.clear()
    return meeting
