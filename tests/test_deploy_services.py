"""The shipped service files (issue 15 item 3): systemd accepts them, the web server they
start reloads on HUP without losing a request, and the worker they start runs the queued
jobs (the first admin's mail of a new school) and stops on its kill signal."""

from __future__ import annotations

import re
import shutil
import signal
import subprocess
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.deploy import BIN, ROOT, exec_start, production_env, unit_here
from tests.support.infra import free_port

SERVICES = ("beeldbrug-web.service", "beeldbrug-worker.service")


def setting(name: str, key: str) -> str:
    found = re.search(rf"^{key}=(.*)$", unit_here(name), re.MULTILINE)
    assert found, f"{name} has no {key}"
    return found.group(1).strip()


@pytest.fixture(scope="module")
def installation(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """A migrated production installation; yields its environment."""
    home = tmp_path_factory.mktemp("installation")
    env = production_env(home, BIND=f"127.0.0.1:{free_port()}")
    migrated = flask(env, "db", "upgrade")
    assert migrated.returncode == 0, migrated.stderr
    yield env


def flask(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / "flask"), "--app", "app", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def wait_until(found: object, log: Path, process: subprocess.Popen[bytes], seconds: float) -> str:
    deadline = time.monotonic() + seconds
    while True:
        text = log.read_text(errors="replace")
        if callable(found) and found(text):
            return text
        assert process.poll() is None, text[-3000:]
        assert time.monotonic() < deadline, text[-3000:]
        time.sleep(0.1)


def test_systemd_accepts_the_service_files(tmp_path):
    analyze = shutil.which("systemd-analyze")
    assert analyze, "systemd-analyze is missing (Debian: apt-get install systemd)"
    paths = []
    for name in SERVICES:
        path = tmp_path / name
        path.write_text(unit_here(name))
        paths.append(str(path))
    checked = subprocess.run([analyze, "verify", *paths], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr
    assert not [line for line in checked.stderr.splitlines() if "beeldbrug" in line]
    for name in SERVICES:  # each starts a program of this virtualenv
        program = Path(exec_start(name)[0])
        assert program.parent == BIN and program.is_file(), program
    assert setting("beeldbrug-web.service", "ExecReload") == "/bin/kill -HUP $MAINPID"
    assert setting("beeldbrug-worker.service", "Restart") == "always"


def test_the_command_helper_runs_flask_as_the_services_do():
    script = ROOT / "deploy" / "beeldbrug-flask"
    assert script.stat().st_mode & 0o111, "not executable"
    assert subprocess.run(["sh", "-n", str(script)]).returncode == 0
    text = unit_here("beeldbrug-flask")
    run = text.split("exec systemd-run", 1)[1].split(f"{BIN}/flask", 1)[0]
    options = set(re.findall(r"(--[a-z-]+)=?", run))
    known = subprocess.run(["systemd-run", "--help"], capture_output=True, text=True).stdout
    assert options and all(re.search(rf"\s{o}[\s=]", known) for o in options), options
    assert f"{BIN}/flask --app app" in text and (BIN / "flask").is_file()
    web = unit_here("beeldbrug-web.service")
    for line in ("EnvironmentFile=/etc/beeldbrug/beeldbrug.env", "User=beeldbrug"):
        assert line in web
    assert "--property=EnvironmentFile=/etc/beeldbrug/beeldbrug.env" in text
    assert "--uid=beeldbrug" in text


def test_the_web_server_reloads_on_hup_without_losing_a_request(installation, tmp_path):
    port = installation["BIND"].rsplit(":", 1)[1]
    log = tmp_path / "gunicorn.log"
    with log.open("wb") as out:
        server = subprocess.Popen(
            exec_start("beeldbrug-web.service"),
            cwd=ROOT,
            env=installation,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_until(lambda text: "running on" in text, log, server, 30)
        statuses: list[object] = []
        stop = threading.Event()

        def visit() -> None:
            while not stop.is_set():
                try:
                    with urllib.request.urlopen(  # noqa: S310 - loopback
                        f"http://127.0.0.1:{port}/sign-in", timeout=10
                    ) as response:
                        statuses.append(response.status)
                except Exception as error:  # any failure is what this test looks for
                    statuses.append(repr(error))

        visitor = threading.Thread(target=visit)
        visitor.start()
        deadline = time.monotonic() + 30
        while statuses.count(200) < 5 and time.monotonic() < deadline:
            time.sleep(0.05)  # a running server: its worker answers
        old = re.findall(r"Booting worker with pid: (\d+)", log.read_text())
        server.send_signal(signal.SIGHUP)  # what `systemctl reload` sends (ExecReload)
        wait_until(lambda text: f"Worker exiting (pid: {old[0]})" in text, log, server, 60)
        served = len(statuses)
        while len(statuses) < served + 5 and time.monotonic() < deadline + 60:
            time.sleep(0.05)  # and the new one answers too
        stop.set()
        visitor.join(timeout=15)
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert len(statuses) > 10, log.read_text()[-3000:]
    assert set(statuses) == {200}, [s for s in statuses if s != 200][:3]
    assert server.returncode == 0


def test_the_worker_sends_the_first_admins_mail_and_stops_on_its_kill_signal(
    installation, tmp_path
):
    # create-school before the worker runs: the mail waits in the queue.
    created = flask(
        installation,
        "create-school",
        "--name",
        "IKC De Wachtrij",
        "--admin-email",
        "beheer@wachtrij.example",
        "--admin-name",
        "Wim",
    )
    assert created.returncode == 0, created.stderr
    assert "/reset?token=" not in created.stdout  # not sent yet: no worker

    log = tmp_path / "worker.log"
    with log.open("wb") as out:
        worker = subprocess.Popen(
            exec_start("beeldbrug-worker.service"),
            cwd=ROOT,
            env=installation,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        text = wait_until(lambda text: "/reset?token=" in text, log, worker, 60)
        assert "beheer@wachtrij.example" in text
        kill = getattr(signal, setting("beeldbrug-worker.service", "KillSignal"))
        worker.send_signal(kill)
        worker.wait(timeout=int(setting("beeldbrug-worker.service", "TimeoutStopSec")))
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait(timeout=10)
    assert worker.returncode == 0, log.read_text()[-2000:]
