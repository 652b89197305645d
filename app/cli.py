"""Command-line tasks: ``flask --app app <command>``."""

from __future__ import annotations

import sys

import click
from alembic import command
from alembic.config import Config as AlembicConfig
from flask import Flask, current_app
from flask.cli import with_appcontext

from config import BASE_DIR


def alembic_config(url: str | None = None) -> AlembicConfig:
    cfg = AlembicConfig(str(BASE_DIR / "alembic.ini"))
    cfg.set_main_option("script_location", str(BASE_DIR / "migrations"))
    if url:
        cfg.attributes["database_url"] = url
    return cfg


def init_app(app: Flask) -> None:
    app.cli.add_command(db_group)
    app.cli.add_command(demo_data)
    app.cli.add_command(audit_verify)
    app.cli.add_command(audit_anchor)
    app.cli.add_command(create_school)
    app.cli.add_command(purge)
    _add_document_commands(app)


def _add_document_commands(app: Flask) -> None:
    from app.admin import cli as admin_cli
    from app.documents.cli import verify_pdf

    app.cli.add_command(verify_pdf)
    for command_ in admin_cli.COMMANDS:
        app.cli.add_command(command_)


@click.group("db")
def db_group() -> None:
    """Database schema migrations (Alembic)."""


@db_group.command("upgrade")
@with_appcontext
@click.argument("revision", default="head")
def db_upgrade(revision: str) -> None:
    """Migrate the database up to REVISION (default: head) and say from which revision to which."""
    url = current_app.config["DATABASE_URL"]
    before = database_revision(url)
    command.upgrade(alembic_config(url), revision)
    after = database_revision(url)
    if before == after:
        click.echo(f"database already at revision {after}: nothing to do")
    else:
        click.echo(f"database upgraded from revision {before or 'none (empty)'} to {after}")


def database_revision(url: str) -> str | None:
    """The revision the database at ``url`` is at (several joined by +), or None when empty."""
    from alembic.runtime.migration import MigrationContext

    from app.core.db import make_engine

    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            heads = MigrationContext.configure(connection).get_current_heads()
    finally:
        engine.dispose()
    return "+".join(sorted(heads)) or None


@db_group.command("downgrade")
@with_appcontext
@click.argument("revision")
def db_downgrade(revision: str) -> None:
    """Migrate the database down to REVISION (for example base, or `-- -1` for one step)."""
    command.downgrade(alembic_config(current_app.config["DATABASE_URL"]), revision)


@db_group.command("current")
@with_appcontext
def db_current() -> None:
    """Show the revision the database is at."""
    command.current(alembic_config(current_app.config["DATABASE_URL"]))


@click.command("demo-data")
@with_appcontext
def demo_data() -> None:
    """Load the demo school once (idempotent) and print the demo accounts."""
    from app.demo import DEMO_PASSWORD, DemoRefused, load_demo

    try:
        accounts = load_demo()
    except DemoRefused as refused:
        raise click.ClickException(str(refused)) from None
    click.echo("")
    click.echo(f"Demo accounts (password for all: {DEMO_PASSWORD})")
    for role, email, name in accounts:
        click.echo(f"  {email:<32} {name:<18} {role}")
    click.echo("")


@click.command("audit-verify")
@with_appcontext
def audit_verify() -> None:
    """Check the audit log's hash chain, and the chain against every anchor file.

    Exits 1 and names the first broken link, a rewritten or shortened chain, or an anchor file
    that is not valid. Says which events no anchor covers yet (their deletion could not be
    proven).
    """
    from app.core import audit
    from app.core.audit_anchor import verify_anchors
    from app.core.db import db

    report = audit.verify(db.session)
    anchored = verify_anchors(db.session)
    broken = not report.ok or not anchored.ok
    if report.ok:
        click.echo(f"audit chain intact: {report.checked} events")
    else:
        where = f" at event {report.event_id}" if report.event_id is not None else ""
        click.echo(
            f"audit chain BROKEN{where}: {report.problem} "
            f"({report.checked} events verified before it)"
        )
    for problem in anchored.problems:
        click.echo(f"audit chain BROKEN against its anchors: {problem}")
    if anchored.ok:
        click.echo(f"anchors: {anchored.anchors} checked, all match")
    last = anchored.last_anchor
    since = f"the last anchor ({last.made_at:%Y-%m-%d %H:%M} UTC)" if last else "any anchor"
    if anchored.unanchored is not None:
        first, final, count = anchored.unanchored
        click.echo(
            f"not provable: events {first}-{final} ({count}) came after {since}; "
            "a change to them, or their deletion, could not be proven"
        )
    elif last is not None:
        click.echo(
            f"not provable: anything after {since}; no event follows it, so events "
            "recorded since and deleted could not be proven"
        )
    if broken:
        sys.exit(1)


@click.command("audit-anchor")
@with_appcontext
def audit_anchor() -> None:
    """Seal the head of the audit chain with the school's key into an anchor file now.

    The worker does it every day. Refuses (exit 1) when the chain is empty or broken.
    """
    from app.core.audit_anchor import AnchorRefused
    from app.core.db import db
    from app.documents.anchors import anchor_now

    try:
        anchor = anchor_now(db.session)
    except AnchorRefused as refused:
        db.session.rollback()
        click.echo(f"NOT anchored: {refused}", err=True)
        sys.exit(1)
    db.session.commit()
    click.echo(f"anchored {anchor.length} events in {anchor.name}")


def _one_line(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """The forms' one-line rule (``app.core.text``) for a name given on the command line."""
    from app.core.text import has_control_characters

    if value is None:
        return None
    if has_control_characters(value):
        raise click.BadParameter(
            "must be one line, without control characters, direction marks or zero-width spaces"
        )
    if not value.strip():
        raise click.BadParameter("must not be empty")
    return value.strip()


@click.command("create-school")
@with_appcontext
@click.option("--name", required=True, callback=_one_line, help="The school's name.")
@click.option("--city", default=None, callback=_one_line, help="The school's town.")
@click.option("--admin-email", required=True, help="E-mail address of the first school admin.")
@click.option(
    "--admin-name", required=True, callback=_one_line, help="Name of the first school admin."
)
def create_school(name: str, city: str | None, admin_email: str, admin_name: str) -> None:
    """Create a school with its first admin, who is mailed a link to choose a password.

    Names follow the forms' one-line rule: a name with a line break, a control character, a
    direction override or a zero-width space is refused and nothing is created.
    """
    from app.admin import services as admin
    from app.circle.models import School
    from app.consent import services as consent
    from app.core.db import db

    with current_app.test_request_context(base_url=current_app.config["BASE_URL"]):
        school = School(name=name, city=city)
        db.session.add(school)
        db.session.flush()
        consent.ensure_published_template(db.session, school, actor=None)
        admin.create_staff(
            db.session,
            school,
            admin.StaffData(
                name=admin_name, email=admin_email, language="nl", is_school_admin=True
            ),
            actor=None,
        )
        db.session.commit()
    click.echo(
        f"school {school.id} created; {admin_email} has been mailed a link to choose a password"
    )
    from app.core import heartbeat

    if not heartbeat.status().running:
        click.echo(
            "Note: the background worker is not running, so that mail waits until it runs "
            "(flask --app app worker-status).",
            err=True,
        )


@click.command("purge")
@with_appcontext
def purge() -> None:
    """Destroy the footage whose retention term ended or whose consent was withdrawn, and the
    documents kept after their child's erasure whose retention term ended.

    Keeps a tombstone of every clip destroyed and logs it; a second run changes nothing.
    """
    from app.clips.services import retention
    from app.core.db import db
    from app.documents import erasure

    report = retention.purge(db.session)
    documents = erasure.purge_kept(db.session)
    db.session.commit()
    click.echo(f"{report.destroyed} clips destroyed, {report.rescheduled} rescheduled")
    if documents:
        click.echo(f"{documents} documents destroyed at the end of their retention term")
