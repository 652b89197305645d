"""Outgoing mail: rendered in the recipient's language, sent after the transaction commits.

Services call :func:`queue_mail`; nothing leaves until the database commit succeeds (a rolled
back invitation never mails a link). The message is handed to the job queue, which sends it
through Flask-Mailman: SMTP in production, the console in the embedded default.

A subject is put on one line (:func:`app.core.text.single_line`) before it is sent: it is built
from names, and a line break in one would cut the header or, unchecked, add headers of its own.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from typing import Any

from flask import current_app, render_template
from flask_babel import force_locale
from flask_mailman import EmailMultiAlternatives
from sqlalchemy import event
from sqlalchemy.orm import Session

from app.core.db import DbSession
from app.core.jobs import job, revoke_queued
from app.core.text import single_line

log = logging.getLogger("beeldbrug.mail")
OUTBOX_KEY = "beeldbrug_outbox"


@dataclass(frozen=True)
class Attachment:
    """A file sent with a mail: its name, its text and its type (``text/calendar;
    method=REQUEST`` for an invitation a calendar app reads)."""

    filename: str
    content: str
    mimetype: str


@dataclass(frozen=True)
class OutgoingMail:
    to: str
    subject: str
    text: str
    html: str
    attachments: tuple[Attachment, ...] = ()
    #: The child the mail is about, when it is about one: erasing the child revokes it while
    #: it still waits in the queue (it names the child).
    child_id: int | None = None


def render_mail(
    template: str,
    *,
    to: str,
    language: str,
    attachments: tuple[Attachment, ...] = (),
    **context: object,
) -> OutgoingMail:
    """Render ``templates/mail/<template>.txt`` and ``.html`` in ``language``.

    A ``child`` in the context marks the mail as about that child (``child_id``).

    The subject is the text template's first line, put on one line (control characters and
    runs of whitespace become one space).
    """
    with force_locale(language):
        text = render_template(f"mail/{template}.txt", **context)
        html = render_template(f"mail/{template}.html", **context)
    subject, _, body = text.partition("\n")
    child = context.get("child")
    return OutgoingMail(
        to=to,
        subject=single_line(subject),
        text=body.lstrip("\n"),
        html=html,
        attachments=attachments,
        child_id=getattr(child, "id", None),
    )


def queue_mail(session: DbSession, message: OutgoingMail) -> None:
    """Send ``message`` once ``session`` commits; drop it if the session rolls back."""
    session.info.setdefault(OUTBOX_KEY, []).append(message)


@event.listens_for(Session, "after_commit")
def _dispatch_outbox(session: Session) -> None:
    for message in session.info.pop(OUTBOX_KEY, []):
        send_mail(asdict(message))


@event.listens_for(Session, "after_rollback")
def _drop_outbox(session: Session) -> None:
    session.info.pop(OUTBOX_KEY, None)


@job(retries=5, retry_delay=60)
def send_mail(message: dict[str, Any]) -> None:
    """Deliver one message through the configured mail backend (retried by the queue).

    The subject is put on one line here too, whoever built the message: Flask-Mailman refuses
    a header with a line break, so the message would fail on every retry and never arrive.
    """
    subject = single_line(message["subject"])
    mail = EmailMultiAlternatives(
        subject=subject,
        body=message["text"],
        from_email=current_app.config["MAIL_DEFAULT_SENDER"],
        to=[message["to"]],
    )
    mail.attach_alternative(message["html"], "text/html")
    for attachment in message.get("attachments") or ():
        mail.attach(attachment["filename"], attachment["content"], attachment["mimetype"])
    mail.send(fail_silently=False)
    log.info("mail sent: %s", subject)


def revoke_queued_about(child_id: int) -> int:
    """Revoke the mails about child ``child_id`` still waiting in the queue (or for a retry):
    they name the child. Returns how many. Raises the queue storage's errors."""
    name = f"{send_mail.task_class.__module__}.{send_mail.task_class.__name__}"

    def about(task: str, args: tuple[Any, ...], _kwargs: dict[str, Any]) -> bool:
        return task == name and bool(args) and args[0].get("child_id") == child_id

    return revoke_queued(about)
