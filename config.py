"""Settings for Beeldbrug, read from the environment.

`Config` is the embedded default (SQLite in `instance/`, mails to the console, jobs in a SQLite
queue). Setting `BEELDBRUG_ENV=production` selects `ProductionConfig`, which refuses to start with
a missing or default secret key, without an https:// `BASE_URL`, or without a seal certificate
unless self-signed seals are intended (SIGNING_SELF_SIGNED with SIGNING_KEY_PASSPHRASE), and
sends cookies only over HTTPS. `TestConfig` is for the suite.
"""

from __future__ import annotations

import os
import tempfile
from datetime import timedelta
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
DEV_SECRET_KEY = "dev-only-not-secret"  # noqa: S105 - a marker production refuses
#: Where gunicorn listens unless BIND says otherwise (gunicorn.conf.py reads this too).
DEFAULT_BIND = "127.0.0.1:5000"
#: The shortest SIGNING_KEY_PASSPHRASE production accepts.
MIN_PASSPHRASE_LENGTH = 16
#: gunicorn's port when a bind names only a host.
GUNICORN_DEFAULT_PORT = "8000"


def _env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


def _env_int(name: str, default: int) -> int:
    return int(_env(name, str(default)))  # type: ignore[arg-type]


def _env_bool(name: str, default: bool) -> bool:
    value = _env(name)
    if value is None:
        return default
    return value.lower() in {"1", "true", "yes", "on"}


def url_of_bind(bind: str) -> str:
    """The http:// address at which a gunicorn ``bind`` value (``host:port``) is reached here.

    A wildcard host (``0.0.0.0``, ``[::]``, none) becomes loopback, the address that works on
    this machine; a host alone gets gunicorn's port 8000. A Unix socket (``unix:…``) has no
    address of its own: it gives http://localhost, and mail links then need ``BASE_URL``.
    Raises nothing.
    """
    bind = bind.strip()
    if bind.startswith(("unix:", "fd://")):
        return "http://localhost"
    if bind.startswith("["):  # IPv6: [host]:port
        host, _, rest = bind[1:].partition("]")
        port = rest.removeprefix(":") or GUNICORN_DEFAULT_PORT
        return f"http://[{host if host not in ('', '::') else '::1'}]:{port}"
    host, colon, port = bind.rpartition(":")
    if not colon:
        host, port = bind, GUNICORN_DEFAULT_PORT
    if host in ("", "0.0.0.0", "*"):  # noqa: S104 - read, not bound to
        host = "127.0.0.1"
    return f"http://{host}:{port}"


class Config:
    """The embedded default profile: everything on this machine, nothing to set up."""

    ENV_NAME = "development"
    INSTANCE_PATH = Path(_env("BEELDBRUG_INSTANCE", str(BASE_DIR / "instance")))  # type: ignore[arg-type]

    SECRET_KEY = _env("SECRET_KEY", DEV_SECRET_KEY)
    DATABASE_URL = _env("DATABASE_URL", f"sqlite:///{INSTANCE_PATH / 'beeldbrug.db'}")
    SQLITE_BUSY_TIMEOUT_MS = _env_int("SQLITE_BUSY_TIMEOUT_MS", 5000)
    MEDIA_ROOT = Path(_env("MEDIA_ROOT", str(INSTANCE_PATH / "media")))  # type: ignore[arg-type]
    # The job queue: a SQLite file by default, redis://127.0.0.1:6379/0 in scale-out.
    JOBS_URL = _env("JOBS_URL", f"sqlite:///{INSTANCE_PATH / 'jobs.db'}")
    # Rate-limit counters: memory:// suits the single embedded process, redis:// scale-out.
    RATELIMIT_STORAGE_URI = _env("RATELIMIT_STORAGE_URI", "memory://")
    RATELIMIT_KEY_PREFIX = _env("RATELIMIT_KEY_PREFIX", "beeldbrug")
    RATELIMIT_HEADERS_ENABLED = False
    # Number of reverse proxies in front of the app whose X-Forwarded-For is trusted.
    TRUSTED_PROXIES = _env_int("TRUSTED_PROXIES", 0)

    BABEL_DEFAULT_LOCALE = _env("DEFAULT_LANGUAGE", "nl")
    BABEL_DEFAULT_TIMEZONE = _env("DISPLAY_TIMEZONE", "Europe/Amsterdam")
    LANGUAGES = ("nl", "en")

    # Mail: the console backend prints mails (with their links) to the server log; set
    # MAIL_BACKEND=smtp and the MAIL_* values for a real server.
    MAIL_BACKEND = _env("MAIL_BACKEND", "console")
    MAIL_SERVER = _env("MAIL_SERVER", "127.0.0.1")
    MAIL_PORT = _env_int("MAIL_PORT", 25)
    MAIL_USERNAME = _env("MAIL_USERNAME")
    MAIL_PASSWORD = _env("MAIL_PASSWORD")
    MAIL_USE_TLS = _env_bool("MAIL_USE_TLS", False)
    MAIL_USE_SSL = _env_bool("MAIL_USE_SSL", False)
    MAIL_TIMEOUT = _env_int("MAIL_TIMEOUT", 10)
    MAIL_DEFAULT_SENDER = _env("MAIL_DEFAULT_SENDER", "Beeldbrug <no-reply@beeldbrug.localhost>")
    # Links in mails are built from this address, never from the request's Host header. By
    # default the address the web server binds, so the links work on the machine serving them;
    # production has no default (ProductionConfig).
    BIND = _env("BIND", DEFAULT_BIND)
    BASE_URL = _env("BASE_URL", url_of_bind(BIND))  # type: ignore[arg-type]

    # Passwords: argon2id at OWASP's minimum cost (m=19 MiB, t=2, p=1); sign-ins are throttled.
    ARGON2_TIME_COST = _env_int("ARGON2_TIME_COST", 2)
    ARGON2_MEMORY_COST = _env_int("ARGON2_MEMORY_COST", 19 * 1024)
    ARGON2_PARALLELISM = _env_int("ARGON2_PARALLELISM", 1)
    SIGN_IN_LIMIT_PER_ACCOUNT = _env("SIGN_IN_LIMIT_PER_ACCOUNT", "10/15 minutes")
    SIGN_IN_LIMIT_PER_ADDRESS = _env("SIGN_IN_LIMIT_PER_ADDRESS", "100/15 minutes")
    RESET_REQUEST_LIMIT = _env("RESET_REQUEST_LIMIT", "5/hour")

    # Sessions: revocable server-side records; staff idle time-out and an absolute lifetime.
    SESSION_COOKIE_NAME = "beeldbrug_session"
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = _env_bool("SESSION_COOKIE_SECURE", False)
    STAFF_IDLE_TIMEOUT = timedelta(minutes=_env_int("STAFF_IDLE_MINUTES", 30))
    OTHER_IDLE_TIMEOUT = timedelta(hours=_env_int("OTHER_IDLE_HOURS", 12))
    SESSION_ABSOLUTE_TIMEOUT = timedelta(hours=_env_int("SESSION_ABSOLUTE_HOURS", 12))
    PERMANENT_SESSION_LIFETIME = SESSION_ABSOLUTE_TIMEOUT
    # The server-side record keeps the time-outs: the cookie is sent when it changes, not
    # signed and sent again with every page.
    SESSION_REFRESH_EACH_REQUEST = False

    # Consent: footage is kept at most this many months after a trajectory (the template's
    # retention term cannot exceed it).
    CONSENT_MAX_RETENTION_MONTHS = _env_int("CONSENT_MAX_RETENTION_MONTHS", 12)

    # Passkeys (WebAuthn): the site they belong to is BASE_URL's host name and origin unless
    # these say otherwise. A WebAuthn site cannot be an IP address: open Beeldbrug by a host
    # name (http://localhost:5000 on the machine itself) to use passkeys.
    WEBAUTHN_RP_ID = _env("WEBAUTHN_RP_ID")
    WEBAUTHN_ORIGIN = _env("WEBAUTHN_ORIGIN")

    INVITATION_VALID_FOR = timedelta(days=_env_int("INVITATION_VALID_DAYS", 14))
    RESET_VALID_FOR = timedelta(minutes=_env_int("RESET_VALID_MINUTES", 60))

    # Sealing issued PDFs (see app/core/pdf.py). By default each school gets its own key and
    # self-signed certificate in SIGNING_DIR (instance/signing). In production set
    # SIGNING_PKCS12_PATH to one PKCS#12 file (key, certificate, CA chain) for the installation
    # and SIGNING_PKCS12_PASSWORD to its password.
    SIGNING_DIR = Path(_env("SIGNING_DIR", str(INSTANCE_PATH / "signing")))  # type: ignore[arg-type]
    SIGNING_PKCS12_PATH = _env("SIGNING_PKCS12_PATH")
    SIGNING_PKCS12_PASSWORD = _env("SIGNING_PKCS12_PASSWORD")
    # Without SIGNING_PKCS12_PATH, production makes self-signed keys only when the operator says
    # so (SIGNING_SELF_SIGNED), and stores them encrypted with SIGNING_KEY_PASSPHRASE (any
    # profile encrypts them when it is set).
    SIGNING_SELF_SIGNED = _env_bool("SIGNING_SELF_SIGNED", False)
    SIGNING_KEY_PASSPHRASE = _env("SIGNING_KEY_PASSPHRASE")
    # A time-stamping authority (RFC 3161, app/core/timestamps.py): seals become PAdES-B-LT
    # with a trusted time. Its root certificate(s) in SIGNING_TSA_CA_FILE (PEM); with
    # SIGNING_TSA_REQUIRED a seal is refused while the authority cannot be reached.
    SIGNING_TSA_URL = _env("SIGNING_TSA_URL")
    SIGNING_TSA_CA_FILE = _env("SIGNING_TSA_CA_FILE")
    SIGNING_TSA_REQUIRED = _env_bool("SIGNING_TSA_REQUIRED", False)
    SIGNING_TSA_TIMEOUT_S = _env_int("SIGNING_TSA_TIMEOUT_S", 10)

    # Stored media (app/core/storage.py): the largest file accepted, how long an unfinished
    # resumable upload is kept, and, behind nginx, the internal location that serves MEDIA_ROOT
    # (e.g. "/_media/"; unset: Flask sends the bytes itself).
    UPLOAD_MAX_BYTES = _env_int("UPLOAD_MAX_MB", 2048) * 1024 * 1024
    UPLOAD_PARTIAL_MAX_AGE_HOURS = _env_int("UPLOAD_PARTIAL_MAX_AGE_HOURS", 24)
    MEDIA_ACCEL_PREFIX = _env("MEDIA_ACCEL_PREFIX")
    # The most one answer to a range request of a video carries: this many seconds of the
    # clip at its bitrate, never under the floor (app/clips/services/streaming.py range_cap).
    STREAM_CHUNK_SECONDS = float(_env("STREAM_CHUNK_SECONDS", "4") or 4)
    STREAM_CHUNK_MIN_BYTES = _env_int("STREAM_CHUNK_MIN_KB", 256) * 1024
    # Minutes without a heartbeat of the job worker before pages and `flask worker-status` say
    # it is not running (app/core/heartbeat.py).
    WORKER_STALE_MINUTES = _env_int("WORKER_STALE_MINUTES", 5)

    WTF_CSRF_TIME_LIMIT = None  # tied to the session instead, which expires on its own
    # No page takes a body larger than this; a feature that needs more raises it per request.
    MAX_CONTENT_LENGTH = 4 * 1024 * 1024
    MAX_FORM_MEMORY_SIZE = 2 * 1024 * 1024
    # A form's body (app/core/requests.py): room for the longest consent text in two
    # languages; a signing form takes a drawn signature (SIGNING_BODY_MAX in app/core/signing).
    FORM_MAX_BYTES = _env_int("FORM_MAX_KB", 256) * 1024
    HSTS = False
    PREFERRED_URL_SCHEME = "http"

    @classmethod
    def check(cls) -> None:
        """Refuse settings that are unsafe for this profile (raises RuntimeError)."""
        _check_timestamps(cls)


def _check_timestamps(cls: type[Config]) -> None:
    if (cls.SIGNING_TSA_URL or cls.SIGNING_TSA_REQUIRED) and not (
        cls.SIGNING_TSA_URL and cls.SIGNING_TSA_CA_FILE
    ):
        raise RuntimeError(
            "SIGNING_TSA_URL and SIGNING_TSA_CA_FILE (the time-stamping authority's root "
            "certificate, PEM) go together; SIGNING_TSA_REQUIRED needs both."
        )


class ProductionConfig(Config):
    """Scale-out or a single server in production: secrets must be set, cookies HTTPS-only."""

    ENV_NAME = "production"
    SESSION_COOKIE_SECURE = _env_bool("SESSION_COOKIE_SECURE", True)
    HSTS = True
    PREFERRED_URL_SCHEME = "https"
    MAIL_BACKEND = _env("MAIL_BACKEND", "smtp")
    # No fallback to BIND: behind a proxy that is a loopback address, and every link in a mail
    # would point at it.
    BASE_URL = _env("BASE_URL")

    @classmethod
    def check(cls) -> None:
        _check_timestamps(cls)
        if not cls.SECRET_KEY or cls.SECRET_KEY == DEV_SECRET_KEY or len(cls.SECRET_KEY) < 32:
            raise RuntimeError(
                "SECRET_KEY must be set to a random value of at least 32 characters in production."
            )
        if not cls.BASE_URL:
            raise RuntimeError(
                "BASE_URL must be set in production to the address people open Beeldbrug at "
                "(https://…): the links in mails are built from it."
            )
        if not cls.BASE_URL.lower().startswith("https://") or len(cls.BASE_URL) <= len("https://"):
            raise RuntimeError(
                f"BASE_URL must be an https:// address in production, not {cls.BASE_URL!r}: "
                "sign-in cookies are sent over HTTPS only, and links in mails carry secrets."
            )
        cls._check_signing()

    @classmethod
    def _check_signing(cls) -> None:
        if cls.SIGNING_PKCS12_PATH:
            if not os.access(cls.SIGNING_PKCS12_PATH, os.R_OK):
                raise RuntimeError(
                    f"SIGNING_PKCS12_PATH names {cls.SIGNING_PKCS12_PATH}, which cannot be read."
                )
            return
        if not cls.SIGNING_SELF_SIGNED:
            raise RuntimeError(
                "No seal certificate: set SIGNING_PKCS12_PATH (and SIGNING_PKCS12_PASSWORD) to "
                "the PKCS#12 file that seals issued PDFs. If self-signed seals are intended, set "
                "SIGNING_SELF_SIGNED=yes and SIGNING_KEY_PASSPHRASE instead (see the README)."
            )
        if len(cls.SIGNING_KEY_PASSPHRASE or "") < MIN_PASSPHRASE_LENGTH:
            raise RuntimeError(
                "SIGNING_SELF_SIGNED is set: SIGNING_KEY_PASSPHRASE must then be set to a random "
                f"value of at least {MIN_PASSPHRASE_LENGTH} characters; the self-signed keys are "
                "stored encrypted with it (keep it with the backups, apart from them)."
            )


class TestConfig(Config):
    """The test suite: a throw-away database, fast password hashing, jobs run inline."""

    ENV_NAME = "test"
    TESTING = True
    SECRET_KEY = "test-secret-key-not-for-production"  # noqa: S105
    DATABASE_URL = _env("TEST_DATABASE_URL", "sqlite:///:memory:")
    JOBS_URL = "immediate://"
    RATELIMIT_STORAGE_URI = _env("TEST_RATELIMIT_STORAGE_URI", "memory://")
    RATELIMIT_KEY_PREFIX = f"beeldbrug-test-{os.getpid()}"
    WTF_CSRF_ENABLED = False
    MAIL_BACKEND = "locmem"
    ARGON2_TIME_COST = 1
    ARGON2_MEMORY_COST = 1024
    BASE_URL = "http://localhost"
    # Test keys never land in the real instance folder.
    SIGNING_DIR = Path(tempfile.gettempdir()) / f"beeldbrug-test-signing-{os.getpid()}"
    SIGNING_PKCS12_PATH = None
    SIGNING_PKCS12_PASSWORD = None
    SIGNING_SELF_SIGNED = False
    SIGNING_KEY_PASSPHRASE = None
    SIGNING_TSA_URL = None
    SIGNING_TSA_CA_FILE = None
    SIGNING_TSA_REQUIRED = False


def config_from_env() -> type[Config]:
    """Pick the settings class named by BEELDBRUG_ENV (development, production or test)."""
    name = (_env("BEELDBRUG_ENV", "development") or "development").lower()
    return {"production": ProductionConfig, "test": TestConfig}.get(name, Config)
