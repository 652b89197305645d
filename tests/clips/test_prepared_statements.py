"""Statements built once (per role, or per shape of the clip clause) and run with the seat's
ids as bound parameters answer exactly as the clauses built for the seat do: for every role,
with consent given and not, and for each child of the same person in turn."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.circle import policy
from app.circle.audience import Audience
from app.clips.models import Clip, Moment, Source, Tag
from app.clips.services import listing, moments, picking, queries
from app.core.db import db
from tests.support.consent import sign_consent

ROLES = ("coach", "teacher", "specialist", "parent")


def add_moment(clip: Clip, author, audience: Audience, start_s: float) -> None:
    db.session.add(
        Moment(
            child_id=clip.child_id,
            clip_id=clip.id,
            author_id=author.id,
            start_s=start_s,
            tag=Tag.SUCCESS,
            text=f"{audience} {start_s}",
            audience=audience,
        )
    )
    db.session.commit()


@pytest.fixture
def clips(circle, make_clip) -> list[Clip]:
    """A clip of every audience by the coach (each with a fragment), a parent's private home
    recording, a teacher's private one; moments of every audience in each."""
    made = [make_clip(circle.child, circle.coach, audience=a) for a in Audience]
    made += [
        make_clip(
            circle.child,
            circle.coach,
            parent=recording,
            start_s=1.0,
            end_s=2.0,
            audience=Audience.CIRCLE,
        )
        for recording in list(made)
    ]
    made.append(
        make_clip(circle.child, circle.parent, source=Source.HOME, audience=Audience.PRIVATE)
    )
    made.append(make_clip(circle.child, circle.teacher, audience=Audience.PRIVATE))
    for clip in made:
        for n, audience in enumerate(Audience):
            add_moment(clip, circle.coach, audience, float(n))
        add_moment(clip, circle.parent, Audience.PRIVATE, 4.0)
    return made


def seen_by_clause(seat) -> set[int]:
    return set(db.session.scalars(select(Clip.id).where(queries.clip_clause(seat))))


@pytest.mark.parametrize("consented", [False, True])
@pytest.mark.parametrize("role", ROLES)
def test_built_once_they_see_what_the_seats_own_clause_sees(
    app, app_ctx, circle, clips, role, consented
):
    if consented:
        sign_consent(app, circle.child, circle.parent)
    seat = policy.seat_for(getattr(circle, role), circle.child)
    seen = seen_by_clause(seat)
    if consented:
        assert seen  # the comparison is about something

    assert listing.count_visible(db.session, seat) == len(seen)
    assert picking.watchable_ids(db.session, seat, [c.id for c in clips]) == seen
    page = listing.clip_page(db.session, seat, 1, per_page=100)
    listed = {e.clip.id for e in page.items} | {f.id for e in page.items for f in e.fragments}
    assert listed == seen
    assert page.total == len(page.items)
    for clip in clips:
        lines = moments.moment_lines(db.session, seat, clip)
        assert [m.id for m in lines] == [m.id for m in moments.moments_for(db.session, seat, clip)]
    for clip, pair in zip(clips, [*clips[1:], None], strict=True):
        both = [clip] if pair is None else [clip, pair]
        loaded = picking.candidate_moments(db.session, seat, both)
        shown = picking.candidate_rows(db.session, seat, clip.id, pair.id if pair else None)
        assert [(m.id, m.clip_id, m.audience) for m in shown] == [
            (m.id, m.clip_id, m.audience) for m in loaded
        ]


def test_one_statement_serves_each_child_with_its_own_clips(
    app, app_ctx, circle, clips, make_child, make_clip
):
    other = make_child("Lotte de Vries", coach=circle.coach, parents=(circle.parent,))
    theirs = make_clip(other, circle.coach, audience=Audience.CIRCLE)
    sign_consent(app, circle.child, circle.parent)
    sign_consent(app, other, circle.parent)
    for user in (circle.coach, circle.parent):
        first = policy.seat_for(user, circle.child)
        second = policy.seat_for(user, other)
        assert listing.count_visible(db.session, first) == len(seen_by_clause(first))
        assert listing.count_visible(db.session, second) == 1
        assert picking.watchable_ids(db.session, second, [theirs.id, clips[0].id]) == {theirs.id}
        assert [e.clip.id for e in listing.clip_page(db.session, second, 1).items] == [theirs.id]
