"""The shipped service files of ``deploy/`` and the environment of a production installation,
for tests that start the portal as an operator's machine does."""

from __future__ import annotations

import os
import shlex
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
#: The virtualenv running the suite: gunicorn, huey_consumer and flask too.
BIN = Path(sys.executable).parent
#: Where the service files expect the code and its virtualenv.
INSTALLED = "/opt/beeldbrug"
_SETTINGS = ("BIND", "BASE_URL", "BEELDBRUG_ENV", "DATABASE_URL", "JOBS_URL", "MEDIA_ROOT")


def unit_here(name: str) -> str:
    """``deploy/<name>`` with the installation's paths turned into this checkout's."""
    text = (ROOT / "deploy" / name).read_text()
    return text.replace(f"{INSTALLED}/.venv/bin", str(BIN)).replace(INSTALLED, str(ROOT))


def exec_start(name: str) -> list[str]:
    """The command line a service file starts, as this checkout runs it."""
    for line in unit_here(name).splitlines():
        if line.startswith("ExecStart="):
            return shlex.split(line.removeprefix("ExecStart="))
    raise AssertionError(f"{name} has no ExecStart")


def production_env(home: Path, **values: str) -> dict[str, str]:
    """The settings of a production installation whose data lives in ``home``."""
    inherited = {
        k: v for k, v in os.environ.items() if k not in _SETTINGS and not k.startswith("TEST_")
    }
    return {
        **inherited,
        "BEELDBRUG_ENV": "production",
        "SECRET_KEY": "a-production-secret-of-at-least-32-characters",
        "BASE_URL": "https://beeldbrug.example.nl",
        "TRUSTED_PROXIES": "1",
        "MEDIA_ACCEL_PREFIX": "/_media/",
        "BEELDBRUG_INSTANCE": str(home / "instance"),
        "MEDIA_ROOT": str(home / "media"),
        "DATABASE_URL": f"sqlite:///{home / 'beeldbrug.db'}",
        "JOBS_URL": f"sqlite:///{home / 'jobs.db'}",
        "MAIL_BACKEND": "console",
        "SIGNING_SELF_SIGNED": "yes",
        "SIGNING_KEY_PASSPHRASE": "a-passphrase-of-some-length",
        "PYTHONUNBUFFERED": "1",
        **values,
    }
