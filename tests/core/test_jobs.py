"""Queueing a background job by its name: how a service queues work its tasks module runs."""

from __future__ import annotations

import pytest

from app.core import jobs


@jobs.job()
def double(number: int) -> int:
    return number * 2


def test_a_declared_job_is_queued_by_name_and_runs_inline_in_tests(app_ctx):
    result = jobs.queue(f"{__name__}.double", 21)
    assert result.get() == 42


def test_an_undeclared_name_is_refused():
    with pytest.raises(LookupError, match="app.clips.tasks.no_such_job"):
        jobs.queue("app.clips.tasks.no_such_job", 1)


def test_every_job_a_service_names_is_declared(app):
    # create_app declared them: the services name these two.
    for name in ("app.clips.tasks.process_clip", "app.clips.tasks.cut_fragment"):
        assert name in jobs._declared
