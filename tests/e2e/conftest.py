"""Browser tests: real chromium against the portal served by gunicorn, as in production.

The live server is a gunicorn subprocess started with the project's own ``gunicorn.conf.py`` on
a free loopback port, against a database of its own (migrated and loaded with the demo school
through the ``flask`` commands), with mail going to the suite's loopback SMTP server. Every page
a journey visits is scanned with axe-core; serious and critical findings fail the test, and so
does a page that scrolls sideways (WCAG 1.4.10, reflow).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page

from tests.support.browser import BIN, LOG_TAIL_LINES, ROOT, LiveServer, assert_no_sideways_scroll
from tests.support.infra import Mailbox, free_port, fresh_database_url

STARTUP_TIMEOUT = 30.0
STOP_TIMEOUT = 30.0

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    # The machine has no network beyond loopback: keep chromium from trying.
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]

#: Settings the suite itself sets or reads; the server gets its own values instead.
_SUITE_ONLY_ENV = (
    "BEELDBRUG_ENV",
    "TEST_DATABASE_URL",
    "TEST_RATELIMIT_STORAGE_URI",
    "DATABASE_URL",
    "JOBS_URL",
    "MEDIA_ROOT",
    "RATELIMIT_STORAGE_URI",
    "RATELIMIT_KEY_PREFIX",
)


def _server_env(database_url: str, instance: Path, smtp_port: int, base_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _SUITE_ONLY_ENV}
    env.update(
        BEELDBRUG_ENV="development",
        BEELDBRUG_INSTANCE=str(instance),
        DATABASE_URL=database_url,
        JOBS_URL="immediate://",
        MAIL_BACKEND="smtp",
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=str(smtp_port),
        BASE_URL=base_url,
        SECRET_KEY="e2e-secret-key-for-the-browser-tests-only",
        PYTHONUNBUFFERED="1",
    )
    # With Redis available (the scale-out pass) the server keeps its rate limits there too.
    redis = os.environ.get("TEST_RATELIMIT_STORAGE_URI")
    if redis:
        env["RATELIMIT_STORAGE_URI"] = redis
        env["RATELIMIT_KEY_PREFIX"] = f"beeldbrug-e2e-{os.getpid()}"
    return env


def _flask(args: list[str], env: dict[str, str]) -> None:
    result = subprocess.run(
        [str(BIN / "flask"), "--app", "app", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if result.returncode != 0:
        output = "\n".join((result.stdout + result.stderr).splitlines()[-LOG_TAIL_LINES:])
        command = " ".join(args)
        pytest.fail(f"`flask {command}` failed ({result.returncode}):\n{output}", pytrace=False)


def _wait_until_listening(process: subprocess.Popen[bytes], port: int, timeout: float) -> None:
    """Return once ``port`` accepts connections; fail if the server exits or time runs out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            pass
        try:
            code = process.wait(timeout=0.1)  # the pause between attempts, ended by an exit
        except subprocess.TimeoutExpired:
            continue
        raise RuntimeError(f"the server exited with status {code} before listening")
    raise RuntimeError(f"the server did not listen on port {port} within {timeout:.0f} s")


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)  # gunicorn's graceful shutdown
    try:
        process.wait(timeout=STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


@contextmanager
def _serving(
    tmp_path_factory: pytest.TempPathFactory, smtp_port: int, name: str, host: str
) -> Iterator[LiveServer]:
    """gunicorn serving the portal with the demo school on loopback, on its own database and
    port; ``host`` is the name its address (``BASE_URL``) uses."""
    database_url = fresh_database_url(tmp_path_factory, name)
    folder = tmp_path_factory.mktemp(f"{name}-server")
    instance = folder / "instance"
    port = free_port()
    url = f"http://{host}:{port}"
    env = _server_env(database_url, instance, smtp_port, url)

    _flask(["db", "upgrade"], env)
    _flask(["demo-data"], env)

    stdout_path, stderr_path = folder / "stdout.log", folder / "stderr.log"
    with stdout_path.open("wb") as out, stderr_path.open("wb") as err:
        process = subprocess.Popen(
            [str(BIN / "gunicorn"), "--config", "gunicorn.conf.py", "app:create_app()"],
            cwd=ROOT,
            env={**env, "BIND": f"127.0.0.1:{port}"},
            stdout=out,
            stderr=err,
            start_new_session=True,  # its own process group, so a stuck worker can be ended too
        )
    server = LiveServer(url, database_url, process, stdout_path, stderr_path, env)
    try:
        _wait_until_listening(process, port, STARTUP_TIMEOUT)
    except RuntimeError as problem:
        _stop(process)
        pytest.fail(f"{problem}\n--- server stderr ---\n{server.stderr_tail()}", pytrace=False)
    try:
        yield server
    finally:
        _stop(process)


@pytest.fixture(scope="session")
def live_server(
    tmp_path_factory: pytest.TempPathFactory, smtp_server: tuple[Controller, Mailbox]
) -> Iterator[LiveServer]:
    """gunicorn serving the portal with the demo school, on its own database and port."""
    with _serving(tmp_path_factory, smtp_server[0].port, "e2e", "127.0.0.1") as server:
        yield server


@pytest.fixture(scope="session")
def localhost_server(
    tmp_path_factory: pytest.TempPathFactory, smtp_server: tuple[Controller, Mailbox]
) -> Iterator[LiveServer]:
    """The same on an address with a host name, ``http://localhost:PORT``: a WebAuthn site
    (passkeys) cannot be an IP address."""
    with _serving(tmp_path_factory, smtp_server[0].port, "e2e-localhost", "localhost") as server:
        yield server


@pytest.fixture(scope="session")
def base_url(live_server: LiveServer) -> str:
    """pytest-playwright gives every browser context this base URL."""
    return live_server.url


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    """Debian's chromium, headless; Playwright cannot download its own browser here."""
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "headless": True,
        "args": CHROMIUM_ARGS,
    }


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """A failing browser test shows the end of the server's logs with its report."""
    report = yield
    if report.failed and "live_server" in getattr(item, "fixturenames", ()):
        server: LiveServer | None = item.funcargs.get("live_server")  # type: ignore[attr-defined]
        if server is not None:
            report.sections.append(("live server stderr", server.stderr_tail()))
            report.sections.append(("live server access log", server.stdout_tail(30)))
    return report


# --- accessibility ---------------------------------------------------------------------------

_axe = Axe()
FAILING_IMPACTS = frozenset({"serious", "critical"})


def axe_violations(page: Page) -> list[dict[str, Any]]:
    """axe-core's serious and critical violations on the page as it is now."""
    results = _axe.run(page)
    return [v for v in results.response["violations"] if v.get("impact") in FAILING_IMPACTS]


def describe_violations(url: str, violations: list[dict[str, Any]]) -> str:
    lines = [f"accessibility violations on {url}:"]
    for violation in violations:
        lines.append(f"- {violation['id']} ({violation['impact']}): {violation['help']}")
        for node in violation["nodes"]:
            lines.append(f"    {', '.join(map(str, node['target']))}")
            summary = (node.get("failureSummary") or "").replace("\n", " ")
            if summary:
                lines.append(f"      {summary[:300]}")
    return "\n".join(lines)


@pytest.fixture
def check_a11y() -> Any:
    """Call with a page: fails on any serious or critical axe-core violation there, and when the
    page scrolls sideways at the context's width."""

    def check(page: Page) -> None:
        page.wait_for_load_state("load")
        assert_no_sideways_scroll(page)
        violations = axe_violations(page)
        assert not violations, describe_violations(page.url, violations)

    return check
