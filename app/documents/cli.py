"""``flask verify-pdf``: check a PDF from the command line."""

from __future__ import annotations

import contextlib
import logging
import sys
import warnings
from collections.abc import Iterator
from typing import BinaryIO

import click
from flask import current_app
from flask.cli import with_appcontext
from flask_babel import force_locale

from app.documents.forms import MAX_VERIFY_BYTES


def _is_console(handler: logging.Handler) -> bool:
    return isinstance(handler, logging.StreamHandler) and not isinstance(
        handler, logging.FileHandler
    )


@contextlib.contextmanager
def _logs_off_the_terminal() -> Iterator[None]:
    """Keep log records (and library tracebacks) off the terminal while a file is checked.

    A damaged file makes pyHanko raise, and the check logs that with its traceback; on the
    terminal it would bury the verdict. Handlers that write to files keep receiving records.
    """
    removed: list[tuple[logging.Logger, logging.Handler]] = []
    quiet = logging.NullHandler()  # so that Python's last-resort handler stays silent too
    root = logging.getLogger()
    for logger in (root, logging.getLogger("beeldbrug")):
        for handler in list(logger.handlers):
            if _is_console(handler):
                logger.removeHandler(handler)
                removed.append((logger, handler))
    root.addHandler(quiet)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # a library's warnings about the file, likewise
            yield
    finally:
        root.removeHandler(quiet)
        for logger, handler in removed:
            logger.addHandler(handler)


@click.command("verify-pdf")
@click.argument("file", type=click.File("rb"))
@with_appcontext
def verify_pdf(file: BinaryIO) -> None:
    """Check that FILE is a PDF Beeldbrug issued and that nobody changed it.

    Prints what the document is and exits 0 when it is genuine and unaltered; prints the
    reason and exits 1 otherwise.
    """
    from app.core.db import db
    from app.documents import services

    data = file.read(MAX_VERIFY_BYTES + 1)
    if len(data) > MAX_VERIFY_BYTES:
        click.echo(f"NOT VERIFIED: larger than {MAX_VERIFY_BYTES // (1024 * 1024)} MB", err=True)
        sys.exit(1)
    # The rest of the command line speaks English; so do the reasons here.
    with (
        current_app.test_request_context(base_url=current_app.config["BASE_URL"]),
        force_locale("en"),
    ):
        with _logs_off_the_terminal():
            result = services.verify_upload(db.session, data)
        if not result.ok or result.document is None:
            click.echo(f"NOT VERIFIED: {result.reason}", err=True)
            if result.signer_subject:
                click.echo(f"sealed by: {result.signer_subject}", err=True)
            sys.exit(1)
        document = result.document
        click.echo("VERIFIED: genuine and unaltered")
        click.echo(f"kind:      {document.kind.value}")
        click.echo(f"title:     {document.title}")
        click.echo(f"school:    {document.school.name}")
        click.echo(f"issued at: {document.issued_at.isoformat(timespec='seconds')}")
        click.echo(f"sha256:    {document.sha256}")
        if result.signer_subject:
            click.echo(f"sealed by: {result.signer_subject}")
        if result.timestamp is not None:
            at = result.timestamp.at.isoformat(timespec="seconds")
            click.echo(f"timestamp: {at} by {result.timestamp.authority}")
        else:
            click.echo("timestamp: none (the time in the seal is the portal's own clock)")
