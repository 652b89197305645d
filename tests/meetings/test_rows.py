"""The meeting pages read plain rows where the services that change things load entities:
the rows say what the entities say, in the same order (agreements made and to review,
acknowledgements, the agenda's titles), and the agreements' and the agenda's rows drawn once
and filled in are escaped as the template escapes them."""

from __future__ import annotations

import pytest
from flask_babel import force_locale
from markupsafe import escape

from app.circle.audience import Audience
from app.circle.policy import seat_for
from app.clips.models import Moment, MomentTag, Source, Tag
from app.core.db import db
from app.meetings.models import AgendaItem, Meeting, MeetingState
from app.meetings.models_followup import AgreementReview, AgreementStatus
from app.meetings.models_summary import MeetingSummary
from app.meetings.services import acknowledgement, agreement_rows, agreements, visible
from app.meetings.views import agenda_html
from app.meetings.views.mode_steps import time_writer
from tests.support.meetings import agreement_made, days_ahead, plan


def test_agreement_rows_say_what_the_entities_say(app, circle, planned):
    later = plan(app, circle.child, circle.coach, [circle.coach, circle.parent], day=days_ahead(28))
    planned, later = db.session.get(Meeting, planned.id), db.session.get(Meeting, later.id)
    first = agreement_made(circle, planned, "Samen lezen", 30, circle.parent)
    done = agreement_made(circle, planned, "Een <vast> teken & meer", 29, circle.teacher)
    agreement_made(circle, planned, "Nog open", 31, circle.coach)
    agreement_made(circle, later, "Hier gemaakt", 40, circle.parent)
    done.status = AgreementStatus.DONE
    db.session.add(
        AgreementReview(
            agreement_id=done.id,
            meeting_id=later.id,
            child_id=circle.child.id,
            status=AgreementStatus.DONE,
            note="Gelukt",
            reviewed_by_id=circle.coach.id,
        )
    )
    db.session.commit()
    with app.test_request_context():
        for meeting in (planned, later):
            made = agreement_rows.made_in(db.session, meeting)
            assert [(r.id, r.text, r.owner) for r in made] == [
                (a.id, a.text, a.owner.name) for a in agreements.made_in(db.session, meeting)
            ]
        listed = agreement_rows.to_review(db.session, later)
        entries = agreements.to_review(db.session, later)
        assert [r.id for r in listed] == [e.agreement.id for e in entries] != []
        assert first.id in [r.id for r in listed]
        for row, entry in zip(listed, entries, strict=True):
            assert row.made_at == entry.agreement.meeting.starts_at
            assert (row.review_id is None) is (entry.review is None)
            if entry.review is not None:
                assert (row.review_status, row.review_note) == (
                    entry.review.status,
                    entry.review.note,
                )
        assert [r.text for r in agreement_rows.reviewed_in(db.session, later)] == [done.text]
        for meeting in (planned, later):  # both lists in one query: the same rows
            made, listed = agreement_rows.made_and_to_review(db.session, meeting)
            assert [tuple(r)[:12] for r in made] == [
                (*r, None, None, None, None) for r in agreement_rows.made_in(db.session, meeting)
            ]
            assert [tuple(r)[:12] for r in listed] == [
                tuple(r) for r in agreement_rows.to_review(db.session, meeting)
            ]
        later.state = MeetingState.FINALISED  # then only what it reviewed
        assert [r.id for r in agreement_rows.to_review(db.session, later)] == [
            e.agreement.id for e in agreements.to_review(db.session, later)
        ]
        made, listed = agreement_rows.made_and_to_review(db.session, later)
        assert [r.id for r in made] == [r.id for r in agreement_rows.made_in(db.session, later)]
        assert [r.id for r in listed] == [done.id]
        db.session.rollback()
        seat = seat_for(circle.coach, circle.child)
        assert agreement_rows.owner_choices(db.session, seat) == [
            (m.user_id, m.user.name) for m in agreements.owners_for(db.session, seat)
        ]


def test_the_agreements_to_review_are_found_once_each_and_only_earlier_ones(app, circle, planned):
    """An open agreement reviewed here is listed once (found through the review, not again
    as open), in due-date order with the others; an agreement made in a later meeting, or a
    closed one not reviewed here, is not listed."""
    child, coach = circle.child, circle.coach
    later = plan(app, child, coach, [coach, circle.parent], day=days_ahead(28))
    latest = plan(app, child, coach, [coach, circle.parent], day=days_ahead(56))
    planned, later = db.session.get(Meeting, planned.id), db.session.get(Meeting, later.id)
    latest = db.session.get(Meeting, latest.id)
    reviewed_open = agreement_made(circle, planned, "Half gelukt", 33, coach)
    still_open = agreement_made(circle, planned, "Nog open", 31, circle.parent)
    closed = agreement_made(circle, planned, "Gestopt", 30, coach)
    closed.status = AgreementStatus.DROPPED
    agreement_made(circle, latest, "Later gemaakt", 60, coach)
    db.session.add(
        AgreementReview(
            agreement_id=reviewed_open.id,
            meeting_id=later.id,
            child_id=child.id,
            status=AgreementStatus.PARTLY,
            note="",
            reviewed_by_id=coach.id,
        )
    )
    db.session.commit()
    with app.test_request_context():
        listed = agreement_rows.to_review(db.session, later)
        assert [r.id for r in listed] == [still_open.id, reviewed_open.id]
        assert [r.id for r in listed] == [
            e.agreement.id for e in agreements.to_review(db.session, later)
        ]
        both = agreement_rows.made_and_to_review(db.session, later)[1]
        assert [tuple(r)[:12] for r in both] == [tuple(r) for r in listed]
        assert [r.id for r in agreement_rows.reviewed_in(db.session, later)] == [reviewed_open.id]


def test_acknowledgement_lines_say_what_the_states_say(app, circle, planned):
    meeting = db.session.get(Meeting, planned.id)
    summary = MeetingSummary(
        meeting_id=meeting.id,
        child_id=meeting.child_id,
        number=1,
        seen="Gezien",
        need="Nodig",
        created_by_id=circle.coach.id,
    )
    db.session.add(summary)
    db.session.commit()
    with app.test_request_context():
        states = acknowledgement.states(db.session, summary)
        lines = acknowledgement.ack_lines(db.session, summary)
        assert [line.name for line in lines] == [s.person.name for s in states] != []
        assert all(line.signed_at is None for line in lines)


def test_the_agenda_lines_read_as_the_items_titles(app, circle, planned, make_clip):
    child, coach = circle.child, circle.coach
    clip = make_clip(child, coach, audience=Audience.CIRCLE, title="Kring <1> & zo")
    pair = make_clip(child, coach, audience=Audience.CIRCLE, source=Source.HOME, title="Thuis")
    label = MomentTag(school_id=child.school_id, label="Eigen <label>")
    db.session.add(label)
    db.session.flush()
    moments = [
        Moment(
            child_id=child.id,
            clip_id=clip.id,
            author_id=coach.id,
            start_s=s,
            audience=Audience.CIRCLE,
            **kind,
        )
        for s, kind in (
            (1.5, {"tag": Tag.SUCCESS}),
            (62.25, {"tag": None, "custom_tag_id": label.id}),
            (3.0, {"tag": None}),  # its label removed
        )
    ]
    db.session.add_all(moments)
    db.session.flush()
    for position, (moment, paired) in enumerate(
        [(None, None), (moments[0], None), (moments[1], pair), (moments[2], None)], start=1
    ):
        db.session.add(
            AgendaItem(
                meeting_id=planned.id,
                child_id=child.id,
                position=position,
                clip_id=clip.id,
                moment_id=moment.id if moment else None,
                pair_clip_id=paired.id if paired else None,
                prep_note=f"Noot {position}",
            )
        )
    db.session.commit()
    with app.test_request_context():
        meeting = db.session.get(Meeting, planned.id)
        seat = seat_for(coach, child)
        item_title = app.jinja_env.get_template("meetings/_macros.html").module.item_title
        items, hidden = visible.agenda_as_seen(db.session, seat, meeting)
        lines, hidden_lines = visible.agenda_lines_as_seen(db.session, seat, meeting)
        assert hidden_lines == hidden
        # the meeting's page writes the times with the decimal mark looked up once
        for language in ("nl", "en"):
            with force_locale(language):
                assert visible.agenda_lines_as_seen(db.session, seat, meeting, time_writer()) == (
                    visible.agenda_lines_as_seen(db.session, seat, meeting)
                )
        assert len(lines) == len(items) == 4
        for line, item in zip(lines, items, strict=True):
            assert escape(line.title) == item_title(item)
            assert (line.clip_id, line.pair_clip_id, line.prep_note) == (
                item.clip_id,
                item.pair_clip_id,
                item.prep_note,
            )
            assert line.pair_title == (item.pair_clip.title if item.pair_clip else None)


def test_the_agenda_rows_keep_the_items_the_clip_clause_lets_each_seat_watch(
    app, circle, planned, make_clip
):
    # One statement asks whether an item's fragment and pair may be watched: it keeps what
    # watchable_items (picking.watchable_ids, a statement of its own) keeps, for every seat.
    child, coach = circle.child, circle.coach
    team = make_clip(child, coach, audience=Audience.TEAM, title="Team")
    own = make_clip(child, coach, audience=Audience.PRIVATE, title="Eigen")
    whole = make_clip(child, coach, audience=Audience.CIRCLE, title="Kring")
    home = make_clip(child, circle.parent, audience=Audience.CIRCLE, source=Source.HOME)
    hers = make_clip(child, circle.parent, audience=Audience.PRIVATE, source=Source.HOME)
    pairs = [(whole, None), (team, None), (own, None), (whole, team), (whole, home)]
    pairs += [(home, whole), (hers, None), (whole, hers), (team, whole)]
    for position, (clip, pair) in enumerate(pairs, start=1):
        db.session.add(
            AgendaItem(
                meeting_id=planned.id,
                child_id=child.id,
                position=position,
                clip_id=clip.id,
                pair_clip_id=pair.id if pair else None,
            )
        )
    db.session.commit()
    kept_by_seat = {}
    with app.test_request_context():
        meeting = db.session.get(Meeting, planned.id)
        for person in (coach, circle.teacher, circle.specialist, circle.parent, circle.parent2):
            seat = seat_for(person, child)
            items, hidden = visible.agenda_as_seen(db.session, seat, meeting)
            kept, hidden_rows = visible.agenda_rows_as_seen(db.session, seat, meeting)
            assert [r.id for r in kept] == [i.id for i in items]
            assert hidden_rows == hidden
            kept_by_seat[person.id] = len(kept)
    assert kept_by_seat[coach.id] == len(pairs)
    assert 0 < kept_by_seat[circle.parent.id] < kept_by_seat[circle.teacher.id] < len(pairs)


#: The agenda's rows as meetings/show.html drew them, an item at a time, before they were
#: drawn once and filled in.
_AGENDA_LOOP = (
    "{% for item in items %}\n"
    '    <li class="agenda-item">\n'
    '      <p class="agenda-title">\n'
    '        <a href="{{ clip_address.format(id=item.clip_id) }}">{{ item.title }}</a>\n'
    "        {% if item.pair_title is not none %}"
    '<span class="agenda-pair">{{ _("beside") }} '
    '<a href="{{ clip_address.format(id=item.pair_clip_id) }}">{{ item.pair_title }}</a>'
    "</span>{% endif %}\n"
    "      </p>\n"
    "      {% if sees_notes and item.prep_note %}\n"
    '      <div class="prep-note">\n'
    '        <p class="prep-note-label">{{ _("Preparation note (school team only)") }}</p>\n'
    '        <p class="prep-note-text">{{ item.prep_note }}</p>\n'
    "      </div>\n"
    "      {% endif %}\n"
    "    </li>\n"
    "    {% endfor %}"
)


@pytest.mark.parametrize("sees_notes", [True, False])
def test_the_agenda_rows_filled_in_read_as_the_template_wrote_them(app, sees_notes):
    items = [
        visible.AgendaLine(1, None, 'Kring <1> & "zo" {0}', None, ""),
        visible.AgendaLine(2, 3, "Twee · 0:01,5", "Thuis {id} <b>", "Let op: <niet> & 'wel'"),
        visible.AgendaLine(4, None, "Vier", None, "Noot {}"),
    ]
    address = "/children/1/clips/{id}?a=1&b=2"
    holes = agenda_html.HOLES
    with app.test_request_context():
        drawn_once = app.jinja_env.get_template("meetings/_agenda.html").module
        drawn = agenda_html.AgendaRows(items, address, sees_notes).draw(
            drawn_once.agenda_row(holes),
            drawn_once.agenda_pair(holes),
            drawn_once.agenda_prep(holes) if sees_notes else "",
        )
        expected = app.jinja_env.from_string(_AGENDA_LOOP).render(
            items=items, clip_address=address, sees_notes=sees_notes
        )
    assert str(drawn) == expected
    assert ("&lt;niet&gt;" in expected) is sees_notes
    assert "Thuis {id} &lt;b&gt;" in expected
