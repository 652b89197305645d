"""What the suite runs against: the test password, a fresh database, free ports, and the
mailbox of the loopback SMTP server (the root conftest serves it as ``mailbox``)."""

from __future__ import annotations

import email
import email.policy
import os
import re
import socket
import threading
from email.message import EmailMessage
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

PASSWORD = "een goed wachtwoord"


def reset_postgres(url: str) -> None:
    """Create the database if needed and empty its public schema."""
    from sqlalchemy import create_engine

    parsed = make_url(url)
    admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        exists = conn.scalar(
            text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": parsed.database}
        )
        if not exists:
            conn.execute(text(f'CREATE DATABASE "{parsed.database}"'))
    admin.dispose()
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def fresh_database_url(tmp_path_factory: pytest.TempPathFactory, suffix: str) -> str:
    """A new, empty database: a SQLite file, or a PostgreSQL database named after ``suffix``."""
    base = os.environ.get("TEST_DATABASE_URL")
    if base:
        parsed = make_url(base)
        url = parsed.set(database=f"{parsed.database}_{suffix}").render_as_string(
            hide_password=False
        )
        reset_postgres(url)
        return url
    return f"sqlite:///{tmp_path_factory.mktemp(suffix) / 'beeldbrug.db'}"


class Mailbox:
    """Messages received by the loopback SMTP server."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self._lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self._lock:
            self.messages.append(message)  # type: ignore[arg-type]
        return "250 OK"

    def clear(self) -> None:
        with self._lock:
            self.messages.clear()

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if address.lower() in str(m["To"]).lower()]

    def last_to(self, address: str) -> EmailMessage:
        found = self.to(address)
        assert found, f"no mail to {address}; have {[str(m['To']) for m in self.messages]}"
        return found[-1]

    @staticmethod
    def text_of(message: EmailMessage) -> str:
        part = message.get_body(preferencelist=("plain",))
        assert part is not None
        return part.get_content()

    def link_in(self, message: EmailMessage) -> str:
        """The first portal link in the plain-text part, as a path with query."""
        match = re.search(r"https?://[^\s/]+(/\S+)", self.text_of(message))
        assert match, "no link in the mail"
        return match.group(1)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
