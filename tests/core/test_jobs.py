"""The job queue: bound per app from JOBS_URL in init_app, a task called is a job queued."""

from __future__ import annotations

import pytest
from flask import Flask

from app.core import jobs
from app.core.jobs import job


@job()
def double(number: int) -> int:
    return number * 2


def test_a_declared_job_runs_inline_in_tests(app_ctx):
    assert double(21).get() == 42


def test_an_app_with_a_sqlite_queue_keeps_the_job_for_its_worker(app, tmp_path):
    other = Flask("other")
    other.config["JOBS_URL"] = f"sqlite:///{tmp_path / 'queue' / 'jobs.db'}"
    jobs.huey.init_app(other)
    try:
        with other.app_context():
            assert jobs.huey.pending_count() == 0
            double(2)
            assert jobs.huey.pending_count() == 1  # stored, not run: no worker here
        with app.app_context():  # the test app's own queue is still inline
            assert double(3).get() == 6
        assert (tmp_path / "queue" / "jobs.db").is_file()
    finally:
        jobs.huey.init_app(app)  # outside an app context, the queue of the app bound last


def test_an_unknown_queue_url_is_refused():
    other = Flask("other")
    other.config["JOBS_URL"] = "amqp://127.0.0.1/"
    with pytest.raises(ValueError, match="unsupported JOBS_URL"):
        jobs.huey.init_app(other)


def test_every_job_of_the_services_is_declared(app):
    declared = set(jobs.huey._registry._registry)
    for name in (
        "app.clips.services.conversion.convert_clip",
        "app.clips.services.cutting.cut_fragment",
        "app.core.mail.send_mail",
    ):
        assert name in declared
