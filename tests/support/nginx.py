"""The shipped ``deploy/nginx.conf`` on loopback: its placeholders filled in as a deployment
does, a throw-away TLS certificate, a started nginx, and a visitor that speaks HTTPS to it."""

from __future__ import annotations

import getpass
import http.client
import shutil
import socket
import ssl
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.support.infra import free_port

ROOT = Path(__file__).resolve().parents[2]
NGINX = shutil.which("nginx") or next(
    (p for p in ("/usr/sbin/nginx", "/usr/local/sbin/nginx") if Path(p).is_file()), None
)
#: The visitor trusts the throw-away certificate without checking it.
UNCHECKED_TLS = ssl._create_unverified_context()  # noqa: S323 - a test's own certificate


def throwaway_certificate(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1, valid for a day: (certificate, key) in PEM."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "tls.crt", folder / "tls.key"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    key_path.chmod(0o600)
    return cert_path, key_path


@dataclass
class Nginx:
    """A running nginx from the shipped file: its HTTPS and HTTP ports and its folder."""

    port: int
    http_port: int
    state: Path

    @property
    def error_log(self) -> Path:
        return self.state / "error.log"

    @property
    def access_log(self) -> Path:
        return self.state / "access.log"


def config_for(
    *, listen: int, http_listen: int, upstream: int, media_root: Path, state: Path
) -> str:
    """deploy/nginx.conf with its placeholders filled in, as a deployment does (envsubst)."""
    text = (ROOT / "deploy" / "nginx.conf").read_text()
    certificate, key = throwaway_certificate(state)
    values = {
        "NGINX_USER": getpass.getuser(),
        "LISTEN": f"127.0.0.1:{listen}",
        "HTTP_LISTEN": f"127.0.0.1:{http_listen}",
        "BASE_URL": f"https://127.0.0.1:{listen}",
        "TLS_CERTIFICATE": str(certificate),
        "TLS_CERTIFICATE_KEY": str(key),
        "UPSTREAM": f"127.0.0.1:{upstream}",
        "STATIC_ROOT": str(ROOT / "static"),
        "MEDIA_ROOT": str(media_root.resolve()),
        "STATE_DIR": str(state),
        "PID_FILE": str(state / "nginx.pid"),
    }
    for name, value in values.items():
        text = text.replace("${" + name + "}", value)
    directives = [line for line in text.splitlines() if not line.lstrip().startswith("#")]
    assert not any("${" in line for line in directives), "a placeholder left unfilled"
    return text


def _wait_for(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"nginx stopped: {log.read_text() if log.exists() else ''}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("nginx did not start listening")


@contextmanager
def running_nginx(
    state: Path, *, upstream: int, media_root: Path, edit: Any = None
) -> Iterator[Nginx]:
    """nginx from deploy/nginx.conf (``edit(text) -> text`` changes it first, if given) in
    front of ``upstream``, with its pid, logs and temporary files in ``state``."""
    assert NGINX is not None, "nginx is not installed: run scripts/sysdeps.sh as root"
    port, http_port = free_port(), free_port()
    text = config_for(
        listen=port, http_listen=http_port, upstream=upstream, media_root=media_root, state=state
    )
    conf = state / "nginx.conf"
    conf.write_text(edit(text) if edit else text)
    flags = ["-c", str(conf), "-p", str(state), "-e", str(state / "error.log")]
    checked = subprocess.run([NGINX, "-t", "-q", *flags], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr
    process = subprocess.Popen(
        [NGINX, *flags, "-g", "daemon off;"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_for(port, process, state / "error.log")
        yield Nginx(port, http_port, state)
    finally:
        process.terminate()
        process.wait(timeout=10)


@dataclass
class Answer:
    status: int
    headers: list[tuple[str, str]]
    body: bytes

    def all(self, name: str) -> list[str]:
        return [v for k, v in self.headers if k.lower() == name.lower()]

    def one(self, name: str) -> str:
        values = self.all(name)
        assert len(values) == 1, f"{name}: {values}"
        return values[0]


class Visitor:
    """A visitor of nginx on loopback over HTTPS, keeping the cookies it was given."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.cookies: dict[str, str] = {}

    @property
    def cookie(self) -> str:
        return "; ".join(f"{k}={v}" for k, v in self.cookies.items())

    def request(
        self, method: str, path: str, headers: dict[str, str] | None = None, body: Any = None
    ) -> Answer:
        connection = http.client.HTTPSConnection(
            "127.0.0.1", self.port, timeout=20, context=UNCHECKED_TLS
        )
        try:
            sent = {**({"Cookie": self.cookie} if self.cookies else {}), **(headers or {})}
            connection.request(method, path, body=body, headers=sent)
            response = connection.getresponse()
            answer = Answer(response.status, response.getheaders(), response.read())
        finally:
            connection.close()
        for set_cookie in answer.all("Set-Cookie"):
            name, _, value = set_cookie.split(";", 1)[0].partition("=")
            self.cookies[name.strip()] = value
        return answer

    def get(self, path: str, **headers: str) -> Answer:
        return self.request("GET", path, {k.replace("_", "-"): v for k, v in headers.items()})
