"""A version column refuses a save made on an older version (``app.core.concurrency``)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from app.core.concurrency import StaleEditError, expect_version, parse_version
from app.core.errors import RefusedError


def test_the_stored_version_passes_and_any_other_is_refused():
    row = SimpleNamespace(version=3)
    expect_version(row, "3")
    expect_version(row, 3)
    for stale in ("2", "4", "", None, "drie", "3.0"):
        with pytest.raises(StaleEditError):
            expect_version(row, stale)


def test_a_stale_edit_is_a_refusal_with_a_message():
    assert issubclass(StaleEditError, RefusedError)
    assert "Someone else saved a change" in str(StaleEditError().message)


def test_versions_are_read_as_whole_numbers():
    assert parse_version(" 7 ") == 7
    assert parse_version("x") is None
