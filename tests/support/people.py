"""People in tests: inviting someone into a circle through the page."""

from __future__ import annotations

from typing import Any


def invite(client: Any, child: Any, **overrides: Any) -> Any:
    """Post the invitation form for ``child`` (a parent, Olga, in Dutch, unless overridden)."""
    data = {
        "name": "Ouder Olga",
        "email": "olga@example.nl",
        "role": "parent",
        "language": "nl",
        **overrides,
    }
    return client.post(f"/children/{child.id}/invite", data=data)
