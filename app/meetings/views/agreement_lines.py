"""An agreement's row on the meeting's page and in meeting mode as it reads, in the page's
language and escaped (``AgreementLine``, by ``agreement_lines``), for the rows drawn once and
filled in (``agreement_html.AgreementRows``): the words said once per language, each name and
date once per page, every text escaped in one pass."""

from __future__ import annotations

from datetime import date
from functools import lru_cache
from typing import Any, NamedTuple

from flask import current_app
from sqlalchemy import Row

from app.circle.policy import Seat
from app.core import i18n
from app.core.clock import display_zone, local_date
from app.core.holes import esc, esc_all
from app.core.i18n import format_date
from app.core.i18n import gettext as _
from app.meetings.forms_followup import PARTY_LABELS, STATUS_LABELS
from app.meetings.models_followup import AgreementStatus, Party
from app.meetings.services import agreements


class AgreementLine(NamedTuple):
    """How an agreement's row on the meeting's page reads, in the page's language and escaped
    as the template escapes it: worked out here once for the row (a translation with a date
    costs a template several times the work, and every value escaped a call or more).
    ``text`` is the agreement's text; ``made_in``, ``reviewed`` and ``note`` (the review's)
    only for an earlier agreement reviewed here; ``short`` is its text as a button names it
    (truncated to 40 characters)."""

    text: str
    facts: str
    status: str
    done: bool
    overdue: bool
    short: str
    made_in: str = ""
    reviewed: str = ""
    note: str = ""


def agreement_lines(
    seat: Seat, made: list[Row[Any]], listed: list[Row[Any]], language: str | None = None
) -> dict[int, AgreementLine]:
    """The lines of the agreements made in a meeting and of those it reviews, by id (rows of
    ``agreement_rows``), escaped (:class:`AgreementLine`)."""
    language = language or str(i18n.locale())
    words = _words(language)
    # A button names an agreement by its text as Jinja's ``truncate(40)`` writes it
    # (``do_truncate``, written out: five calls a row; tests/meetings/test_rows.py holds the
    # two to each other): whole up to the leeway, else cut at the last space in its first
    # 37 characters, and "...".
    longest = 40 + current_app.jinja_env.policies["truncate.leeway"]
    zone = display_zone()
    every = [*made, *listed]
    # Each name and date said once, however many agreements name it.
    owners = list({a.owner for a in every})
    dues = list({a.due_on for a in every})
    made_at = list({a.made_at for a in listed})  # earlier agreements come from a few meetings
    escaped = esc_all(
        [
            *[a.text for a in every],
            *[
                a.text if len(a.text) <= longest else a.text[:37].rsplit(" ", 1)[0] + "..."
                for a in every
            ],
            *[a.review_note or "" for a in listed],
            *[words.former if owner is None else owner for owner in owners],
            *[words.due.replace("\x00", _day(language, day, "medium")) for day in dues],
            *[
                words.made_in.replace("\x00", _day(language, at.astimezone(zone).date(), "long"))
                for at in made_at
            ],
        ]
    )
    n, m = len(every), len(listed)
    said, day = escaped[2 * n + m :], len(owners) + len(dues)
    owner_of = dict(zip(owners, said[: len(owners)], strict=True))
    due_of = dict(zip(dues, said[len(owners) : day], strict=True))
    made_in = dict(zip(made_at, said[day:], strict=True))
    today = local_date()
    parties, statuses = words.parties, words.statuses

    def line(a: Row[Any], text: str, short: str, *more: str) -> AgreementLine:
        return AgreementLine(
            text,
            f"{parties[a.party]} · {owner_of[a.owner]} · {due_of[a.due_on]}",
            statuses[a.status],
            a.status is AgreementStatus.DONE,
            agreements.overdue_for(seat, a, today),
            short,
            *more,
        )

    k = len(made)
    texts, shorts, notes = escaped[:n], escaped[n : 2 * n], escaped[2 * n : 2 * n + m]
    lines = {
        a.id: line(a, text, short)
        for a, text, short in zip(made, texts[:k], shorts[:k], strict=True)
    }
    for a, text, short, note in zip(listed, texts[k:], shorts[k:], notes, strict=True):
        reviewed = statuses[a.review_status] if a.review_id is not None else ""
        lines[a.id] = line(a, text, short, made_in[a.made_at], reviewed, note)
    return lines


class _Words(NamedTuple):
    """The words of an agreement's line in one language: the parties' and the statuses'
    labels escaped, and the texts the names and dates go into (at the character 0)."""

    parties: dict[Party, str]
    statuses: dict[AgreementStatus, str]
    former: str
    due: str
    made_in: str


@lru_cache(maxsize=16)
def _words(language: str) -> _Words:
    """:class:`_Words` in ``language``, the request's: the same for every page in it."""
    return _Words(
        {party: esc(str(label)) for party, label in PARTY_LABELS.items()},
        {status: esc(str(label)) for status, label in STATUS_LABELS.items()},
        _("a former member"),
        _("due %(date)s", date="\x00"),
        _("Made in the meeting of %(date)s", date="\x00"),
    )


@lru_cache(maxsize=1024)
def _day(language: str, day: date, format: i18n.Named) -> str:
    """``day`` as ``format_date`` writes it in ``language``, the request's: remembered by
    the language's name (a list of agreements names many days, and ``format_date`` costs
    some thirty calls for each, a look-up here one)."""
    return format_date(day, format)
