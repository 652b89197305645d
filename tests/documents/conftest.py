"""Fixtures for issued documents: a print template of the tests' own, keys in a temporary
folder per test (school ids repeat because every test is rolled back), and an issuer."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from jinja2 import ChoiceLoader, FileSystemLoader

from app.core.db import db
from app.documents import services
from app.documents.models import Document, DocumentKind
from tests.support.documents import BODY, TEST_TEMPLATE

HERE = Path(__file__).resolve().parent


@pytest.fixture(scope="session", autouse=True)
def _print_templates(app: Flask) -> Iterator[None]:
    # A print template of the tests' own, rendered through the app's real Jinja environment.
    original = app.jinja_env.loader
    loaders = [FileSystemLoader(HERE / "templates"), original]
    app.jinja_env.loader = ChoiceLoader(loaders)  # type: ignore[arg-type]
    yield
    app.jinja_env.loader = original


@pytest.fixture(autouse=True)
def signing_dir(app: Flask, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "signing"
    monkeypatch.setitem(app.config, "SIGNING_DIR", folder)
    monkeypatch.setitem(app.config, "SIGNING_PKCS12_PATH", None)
    return folder


@pytest.fixture
def media_root(app: Flask) -> Path:
    return Path(app.config["MEDIA_ROOT"])


@pytest.fixture
def issue(app: Flask, circle: Any) -> Callable[..., Document]:
    """Issue (and commit) a consent-like document about the circle's child."""

    def make(commit: bool = True, **values: Any) -> Document:
        document = services.issue_document(
            db.session,
            school=circle.child.school,
            kind=DocumentKind.CONSENT,
            child=circle.child,
            subject=circle.child,
            title="Toestemming video-opnamen",
            template=TEST_TEMPLATE,
            values={"heading": "Toestemming", "body": BODY, **values},
            actor=circle.coach,
            reason="Toestemming",
        )
        if commit:
            db.session.commit()
        return document

    return make
