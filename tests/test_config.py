"""A newcomer's first run: the address `make run` prints, and mail links, follow BIND; in
production mail links need BASE_URL."""

from __future__ import annotations

import os
import runpy
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory

from app.cli import alembic_config
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


#: Self-signed seals, as an operator who intends them says so.
SELF_SIGNED = {
    "SIGNING_SELF_SIGNED": "yes",
    "SIGNING_KEY_PASSPHRASE": "a-passphrase-of-some-length",
}


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
            **{**SELF_SIGNED, **env},
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


def test_production_refuses_a_base_url_that_is_not_https(tmp_path: Path) -> None:
    for url in ("http://beeldbrug.example.nl", "beeldbrug.example.nl", "https://"):
        refused = start_in_production(tmp_path, BASE_URL=url)
        assert refused.returncode != 0 and "started" not in refused.stdout
        assert "BASE_URL must be an https:// address in production" in refused.stderr, url


def test_production_refuses_to_start_without_a_seal_certificate(tmp_path: Path) -> None:
    url = {"BASE_URL": "https://beeldbrug.example.nl"}
    refused = start_in_production(
        tmp_path, **url, SIGNING_SELF_SIGNED="", SIGNING_KEY_PASSPHRASE=""
    )
    assert refused.returncode != 0 and "started" not in refused.stdout
    assert "No seal certificate: set SIGNING_PKCS12_PATH" in refused.stderr
    assert "SIGNING_SELF_SIGNED=yes" in refused.stderr
    assert not (tmp_path / "instance" / "signing").exists()

    for passphrase in ("", "too-short"):
        refused = start_in_production(tmp_path, **url, SIGNING_KEY_PASSPHRASE=passphrase)
        assert refused.returncode != 0
        assert "SIGNING_KEY_PASSPHRASE must then be set" in refused.stderr

    missing = tmp_path / "no-such-seal.p12"
    refused = start_in_production(
        tmp_path, **url, SIGNING_SELF_SIGNED="", SIGNING_PKCS12_PATH=str(missing)
    )
    assert refused.returncode != 0
    assert f"SIGNING_PKCS12_PATH names {missing}, which cannot be read" in refused.stderr

    certificate = tmp_path / "seal.p12"
    certificate.write_bytes(b"a PKCS#12 file")
    started = start_in_production(
        tmp_path, **url, SIGNING_SELF_SIGNED="", SIGNING_PKCS12_PATH=str(certificate)
    )
    assert started.returncode == 0, started.stderr


def in_production(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """A command run with the production environment of an installation in ``tmp_path``."""
    return subprocess.run(
        args,
        cwd=ROOT,
        env=clean_env(
            BEELDBRUG_ENV="production",
            SECRET_KEY="a-production-secret-of-at-least-32-characters",
            BASE_URL="https://beeldbrug.example.nl",
            BEELDBRUG_INSTANCE=str(tmp_path / "instance"),
            DATABASE_URL=f"sqlite:///{tmp_path / 'beeldbrug.db'}",
            JOBS_URL=f"sqlite:///{tmp_path / 'jobs.db'}",
            MAIL_BACKEND="console",
            **SELF_SIGNED,
        ),
        capture_output=True,
        text=True,
        timeout=120,
    )


def schools_in(database: Path) -> list[str]:
    with sqlite3.connect(database) as connection:
        return [row[0] for row in connection.execute("SELECT name FROM schools")]


def test_demo_data_and_make_runs_demo_step_refuse_in_production(tmp_path: Path) -> None:
    flask = [sys.executable, "-m", "flask", "--app", "app"]
    upgraded = in_production(tmp_path, *flask, "db", "upgrade")
    assert upgraded.returncode == 0, upgraded.stderr

    refused = in_production(tmp_path, *flask, "demo-data")
    assert refused.returncode == 1
    assert "demo-data refuses to run in production (BEELDBRUG_ENV=production)" in refused.stderr
    assert "samen-kijken" not in refused.stdout + refused.stderr
    # make run's demo step, with migrate taken as done and this interpreter's flask.
    made = in_production(tmp_path, "make", "-o", "migrate", "demo", f"FLASK={' '.join(flask)}")
    assert made.returncode != 0
    assert "demo-data refuses to run in production" in made.stderr
    assert schools_in(tmp_path / "beeldbrug.db") == []


def test_db_upgrade_says_from_which_revision_to_which(tmp_path: Path) -> None:
    flask = [sys.executable, "-m", "flask", "--app", "app", "db"]
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    first = in_production(tmp_path, *flask, "upgrade")
    assert first.returncode == 0, first.stderr
    assert first.stdout.strip().splitlines()[-1] == (
        f"database upgraded from revision none (empty) to {head}"
    )
    again = in_production(tmp_path, *flask, "upgrade")
    assert again.stdout.strip().splitlines()[-1] == (
        f"database already at revision {head}: nothing to do"
    )
    down = in_production(tmp_path, *flask, "downgrade", "--", "-1")
    assert down.returncode == 0, down.stderr
    previous = in_production(tmp_path, *flask, "current").stdout.split()[0]
    up = in_production(tmp_path, *flask, "upgrade")
    assert up.stdout.strip().splitlines()[-1] == (
        f"database upgraded from revision {previous} to {head}"
    )


def test_gunicorn_binds_what_the_settings_assume(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BIND", raising=False)
    settings = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    assert settings["bind"] == DEFAULT_BIND
    monkeypatch.setenv("BIND", "127.0.0.1:8123")
    settings = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    assert settings["bind"] == "127.0.0.1:8123"
    assert settings["serving_address"]("http://0.0.0.0:8123") == "http://127.0.0.1:8123"
    assert settings["serving_address"]("unix:/run/beeldbrug.sock") == "unix:/run/beeldbrug.sock"


def test_gunicorn_runs_one_process_of_four_threads_unless_told(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("WEB_PROCESSES", raising=False)
    monkeypatch.delenv("WEB_THREADS", raising=False)
    settings = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    assert (settings["workers"], settings["threads"], settings["worker_class"]) == (1, 4, "gthread")
    monkeypatch.setenv("WEB_PROCESSES", "2")
    monkeypatch.setenv("WEB_THREADS", "8")
    settings = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    assert (settings["workers"], settings["threads"]) == (2, 8)


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
