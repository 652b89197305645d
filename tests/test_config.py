"""A newcomer's first run: the address `make run` prints, and mail links, follow BIND; in
production mail links need BASE_URL."""

from __future__ import annotations

import os
import runpy
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from config import DEFAULT_BIND, url_of_bind
from tests.support.infra import free_port

ROOT = Path(__file__).resolve().parents[1]
START_TIMEOUT = 30.0

#: Settings of the suite or of this machine that would change what a fresh process sees.
_SETTINGS = ("BIND", "BASE_URL", "BEELDBRUG_ENV", "DATABASE_URL", "JOBS_URL", "MEDIA_ROOT")


def clean_env(**values: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _SETTINGS and not k.startswith("TEST_")}
    return {**env, **values}


def base_url_in_fresh_process(**env: str) -> str:
    """Config.BASE_URL as a process started with ``env`` reads it (settings load at import)."""
    result = subprocess.run(
        [sys.executable, "-c", "import config; print(config.Config.BASE_URL)"],
        cwd=ROOT,
        env=clean_env(**env),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return result.stdout.strip()


@pytest.mark.parametrize(
    ("bind", "url"),
    [
        ("127.0.0.1:5000", "http://127.0.0.1:5000"),
        ("127.0.0.1:8123", "http://127.0.0.1:8123"),
        ("localhost:8080", "http://localhost:8080"),
        ("0.0.0.0:8000", "http://127.0.0.1:8000"),  # every address: loopback works here
        (":9000", "http://127.0.0.1:9000"),
        ("127.0.0.1", "http://127.0.0.1:8000"),  # gunicorn's own default port
        ("[::1]:5000", "http://[::1]:5000"),
        ("[::]:5000", "http://[::1]:5000"),
        ("unix:/run/beeldbrug.sock", "http://localhost"),
    ],
)
def test_the_address_of_a_bind(bind: str, url: str) -> None:
    assert url_of_bind(bind) == url


def test_mail_links_follow_bind_unless_base_url_is_set() -> None:
    assert base_url_in_fresh_process() == "http://127.0.0.1:5000"
    assert base_url_in_fresh_process(BIND="127.0.0.1:8123") == "http://127.0.0.1:8123"
    assert (
        base_url_in_fresh_process(BIND="127.0.0.1:8123", BASE_URL="https://beeldbrug.example.nl")
        == "https://beeldbrug.example.nl"
    )


def start_in_production(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """Build the app as a production process started with ``env`` does (gunicorn, the worker)."""
    return subprocess.run(
        [sys.executable, "-c", "from app import create_app; create_app(); print('started')"],
        cwd=ROOT,
        env=clean_env(
            BEELDBRUG_ENV="production",
            SECRET_KEY="a-production-secret-of-at-least-32-characters",
            BIND="127.0.0.1:8123",
            BEELDBRUG_INSTANCE=str(tmp_path / "instance"),
            DATABASE_URL=f"sqlite:///{tmp_path / 'beeldbrug.db'}",
            JOBS_URL=f"sqlite:///{tmp_path / 'jobs.db'}",
            **env,
        ),
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_production_refuses_to_start_without_base_url(tmp_path: Path) -> None:
    refused = start_in_production(tmp_path)
    assert refused.returncode != 0 and "started" not in refused.stdout
    assert "RuntimeError: BASE_URL must be set in production" in refused.stderr
    started = start_in_production(tmp_path, BASE_URL="https://beeldbrug.example.nl")
    assert started.returncode == 0, started.stderr
    assert started.stdout.strip() == "started"


def test_gunicorn_binds_what_the_settings_assume(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BIND", raising=False)
    settings = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    assert settings["bind"] == DEFAULT_BIND
    monkeypatch.setenv("BIND", "127.0.0.1:8123")
    settings = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    assert settings["bind"] == "127.0.0.1:8123"
    assert settings["serving_address"]("http://0.0.0.0:8123") == "http://127.0.0.1:8123"
    assert settings["serving_address"]("unix:/run/beeldbrug.sock") == "unix:/run/beeldbrug.sock"


def test_make_run_prints_the_address_it_serves(tmp_path: Path) -> None:
    """scripts/serve.sh (what `make run` ends with) on a free port says that port, once open."""
    port = free_port()
    env = clean_env(
        BIND=f"127.0.0.1:{port}",
        BEELDBRUG_INSTANCE=str(tmp_path / "instance"),
        DATABASE_URL=f"sqlite:///{tmp_path / 'beeldbrug.db'}",
        JOBS_URL=f"sqlite:///{tmp_path / 'jobs.db'}",
        PYTHONUNBUFFERED="1",
    )
    out = tmp_path / "stdout.txt"
    with out.open("wb") as stdout:
        process = subprocess.Popen(
            ["scripts/serve.sh"],
            cwd=ROOT,
            env=env,
            stdout=stdout,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # its own group: the worker and the server stop with it
        )
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while "running on" not in out.read_text() and time.monotonic() < deadline:
            assert process.poll() is None, out.read_text()
            time.sleep(0.2)
        lines = [line for line in out.read_text().splitlines() if "running on" in line]
        assert lines == [f"Beeldbrug is running on http://127.0.0.1:{port}"], out.read_text()
        with socket.create_connection(("127.0.0.1", port), timeout=5):
            pass  # and it really listens there
    finally:
        os.killpg(process.pid, signal.SIGINT)  # Ctrl-C
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


def _workers_of(session_id: int) -> set[int]:
    """The job workers (huey_consumer) among the processes of one session."""
    found = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if os.getsid(int(entry.name)) != session_id:
                continue
            command = (entry / "cmdline").read_bytes()
        except (OSError, ProcessLookupError):
            continue
        if b"huey_consumer" in command and b"--worker-type" in command:
            found.add(int(entry.name))
    return found


def test_make_run_starts_a_crashed_worker_again_and_keeps_serving(tmp_path: Path) -> None:
    port = free_port()
    env = clean_env(
        BIND=f"127.0.0.1:{port}",
        BEELDBRUG_INSTANCE=str(tmp_path / "instance"),
        DATABASE_URL=f"sqlite:///{tmp_path / 'beeldbrug.db'}",
        JOBS_URL=f"sqlite:///{tmp_path / 'jobs.db'}",
        PYTHONUNBUFFERED="1",
        BEELDBRUG_BIN=str(Path(sys.executable).parent),
    )
    out = tmp_path / "stdout.txt"
    with out.open("wb") as stdout:
        process = subprocess.Popen(
            ["scripts/serve.sh"],
            cwd=ROOT,
            env=env,
            stdout=stdout,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while not (_workers_of(process.pid) and "running on" in out.read_text()):
            assert process.poll() is None, out.read_text()
            assert time.monotonic() < deadline, out.read_text()
            time.sleep(0.2)
        [first] = _workers_of(process.pid)

        os.kill(first, signal.SIGKILL)  # the worker crashes

        deadline = time.monotonic() + START_TIMEOUT
        while not (_workers_of(process.pid) - {first}):
            assert process.poll() is None, out.read_text()  # serve.sh (and the web) go on
            assert time.monotonic() < deadline, out.read_text()
            time.sleep(0.2)
        assert "starting it again" in out.read_text()
        with socket.create_connection(("127.0.0.1", port), timeout=5):
            pass  # the web server still listens
    finally:
        os.killpg(process.pid, signal.SIGINT)  # Ctrl-C
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
    assert not _workers_of(process.pid)  # Ctrl-C stopped the worker too
