"""Operator commands: ``flask worker-status`` (and, further down, the other maintenance
commands an operator runs by hand)."""

from __future__ import annotations

import sys

import click
from flask.cli import with_appcontext

from app.core import heartbeat


@click.command("worker-status")
@with_appcontext
def worker_status() -> None:
    """Say whether the background worker is running (exit status 1 when it is not).

    The worker leaves a heartbeat every 30 seconds; without one for WORKER_STALE_MINUTES it
    counts as stopped: clips wait for conversion and mails wait to be sent until it runs.
    """
    found = heartbeat.status()
    if found.inline:
        click.echo("Jobs run inline (JOBS_URL=immediate://): there is no separate worker.")
        return
    ago = found.seconds_ago()
    if found.running:
        click.echo(f"The background worker is running (last heartbeat {ago} s ago).")
        return
    if ago is None:
        click.echo("The background worker is NOT running: it never left a heartbeat.")
    else:
        seen = found.last_seen.isoformat(timespec="seconds") if found.last_seen else "?"
        click.echo(
            f"The background worker is NOT running: its last heartbeat was {ago} s ago "
            f"({seen}). Start it: huey_consumer app.tasks.huey -w 1"
        )
    sys.exit(1)


#: Registered by app/cli.py.
COMMANDS = [worker_status]
