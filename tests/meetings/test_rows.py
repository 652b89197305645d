"""The meeting pages read plain rows where the services that change things load entities:
the rows say what the entities say, in the same order (agreements made and to review,
acknowledgements, the agenda's titles), and the agreements' and the agenda's rows drawn once
and filled in are escaped as the template escapes them."""

from __future__ import annotations

from typing import Any

import pytest
from flask_babel import force_locale
from markupsafe import escape

from app.circle.audience import Audience
from app.circle.policy import seat_for
from app.clips.models import Moment, MomentTag, Source, Tag
from app.core.db import db
from app.meetings.models import AgendaItem, Meeting, MeetingState
from app.meetings.models_followup import Agreement, AgreementReview, AgreementStatus, Party
from app.meetings.models_summary import MeetingSummary
from app.meetings.services import acknowledgement, agreement_rows, agreements, visible
from app.meetings.views import agenda_html
from app.meetings.views.escaped import esc_all
from app.meetings.views.mode_steps import time_writer
from tests.support.meetings import days_ahead, plan


def _agreement(circle: Any, meeting: Meeting, text: str, due: int, owner: Any) -> Agreement:
    made = Agreement(
        child_id=circle.child.id,
        meeting_id=meeting.id,
        text=text,
        party=Party.HOME,
        owner_id=owner.id,
        due_on=days_ahead(due),
        created_by_id=circle.coach.id,
    )
    db.session.add(made)
    db.session.flush()
    return made


def test_agreement_rows_say_what_the_entities_say(app, circle, planned):
    later = plan(app, circle.child, circle.coach, [circle.coach, circle.parent], day=days_ahead(28))
    planned, later = db.session.get(Meeting, planned.id), db.session.get(Meeting, later.id)
    first = _agreement(circle, planned, "Samen lezen", 30, circle.parent)
    done = _agreement(circle, planned, "Een <vast> teken & meer", 29, circle.teacher)
    _agreement(circle, planned, "Nog open", 31, circle.coach)
    _agreement(circle, later, "Hier gemaakt", 40, circle.parent)
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
        later.state = MeetingState.FINALISED  # then only what it reviewed
        assert [r.id for r in agreement_rows.to_review(db.session, later)] == [
            e.agreement.id for e in agreements.to_review(db.session, later)
        ]
        db.session.rollback()
        seat = seat_for(circle.coach, circle.child)
        assert agreement_rows.owner_choices(db.session, seat) == [
            (m.user_id, m.user.name) for m in agreements.owners_for(db.session, seat)
        ]


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


#: An agreement's texts as meetings/_agreements.html drew them, a row at a time from the
#: agreement itself, before its lines were worked out and escaped by the view.
_AGREEMENT_LOOP = (
    "{% for a in rows %}"
    '<p class="agreement-text"><a href="{{ address.format(id=a.id) }}">{{ a.text }}</a></p>\n'
    '<p class="muted small">{{ agreement_party_label(a.party) }} · '
    '{{ _("a former member") if a.owner is none else a.owner }} · '
    '{{ _("due %(date)s", date=a.due_on|dateformat("medium")) }}\n'
    '  <span class="state state-{{ "granted" if a.status.value == "done" else "unanswered" }}">'
    "{{ agreement_status_label(a.status) }}</span>\n"
    '  {% if a.id in overdue %}<span class="state state-overdue">{{ _("Overdue") }}</span>'
    "{% endif %}</p>\x00"
    "{% if a.made_at is defined %}"
    '<p class="muted small">'
    '{{ _("Made in the meeting of %(date)s", date=a.made_at|dateformat("long")) }}</p>\x00'
    "{% if a.review_id is not none %}"
    '<p class="small"><strong>{{ _("Reviewed here:") }}</strong> '
    "{{ agreement_status_label(a.review_status) }}"
    "{% if a.review_note %} — {{ a.review_note }}{% endif %}</p>\x00{% endif %}"
    "{% endif %}"
    '<span class="visually-hidden">: {{ a.text|truncate(40) }}</span>\x00'
    "{% endfor %}"
)


@pytest.mark.parametrize("who", ["coach", "parent"])
def test_the_agreement_rows_read_as_the_template_wrote_them(app, circle, planned, who):
    # The rows' texts are worked out and escaped once by the view (parts.agreement_lines):
    # the page must still say what the template said of each agreement, escaped as it did.
    later = plan(app, circle.child, circle.coach, [circle.coach, circle.parent], day=days_ahead(28))
    planned, later = db.session.get(Meeting, planned.id), db.session.get(Meeting, later.id)
    parent = db.session.get(type(circle.parent), circle.parent.id)
    parent.name = "Ouder 'Petra' & <co>"
    long = 'Elke avond <samen> lezen & daarna "praten" over {id} het verhaal van de dag'
    earlier = [
        _agreement(circle, planned, 'Een <vast> teken & "meer" {0}', -3, circle.parent),
        _agreement(circle, planned, long, 5, circle.coach),
        _agreement(circle, planned, "Zelfde dag", 5, circle.teacher),
        _agreement(circle, planned, "Van een oud lid", -2, circle.parent),
    ]
    earlier[3].owner_id = None
    db.session.add(
        AgreementReview(
            agreement_id=earlier[1].id,
            meeting_id=later.id,
            child_id=circle.child.id,
            status=AgreementStatus.PARTLY,
            note="Twee <keer> & 'meer'",
            reviewed_by_id=circle.coach.id,
        )
    )
    here = [
        _agreement(circle, later, long + " en nog wat", -1, circle.coach),
        _agreement(circle, later, "Gedaan & <klaar>", -1, circle.parent),
        # just over and just at what truncate leaves whole (40 and a leeway of 5)
        _agreement(
            circle, later, "Samen <lezen> & praten over het boek van de da", 9, circle.coach
        ),
        _agreement(circle, later, "Samen <lezen> & praten over het boek van de d", 9, circle.coach),
    ]
    here[1].status = AgreementStatus.DONE
    db.session.commit()
    person = circle.coach if who == "coach" else circle.parent
    with app.test_request_context():
        from flask_login import login_user

        from app.meetings.services import queries
        from app.meetings.views.planning import meeting_page

        login_user(person)
        seat = seat_for(person, circle.child)
        page = meeting_page(seat, queries.meeting_or_404(db.session, seat, later.id))
        made = agreement_rows.made_in(db.session, later)
        listed = agreement_rows.to_review(db.session, later)
        overdue = {
            a.id
            for a in [*made, *listed]
            if a.status.value != "done"
            and a.due_on < days_ahead(0)
            and (who == "coach" or a.owner_id == person.id)
        }
        expected = app.jinja_env.from_string(_AGREEMENT_LOOP).render(
            rows=[*made, *listed],
            address=f"/children/{circle.child.id}/agreements/{{id}}",
            overdue=overdue,
        )
    pieces = [p for p in expected.split("\x00") if p]
    if who == "parent":  # no buttons to name the agreement
        pieces = [p for p in pieces if "visually-hidden" not in p]
    assert len(overdue) >= (2 if who == "coach" else 1)
    assert "&lt;vast&gt; teken &amp; &#34;meer&#34; {0}" in expected
    assert "Ouder &#39;Petra&#39; &amp; &lt;co&gt;" in expected
    at = 0
    for piece in pieces:  # each in the page, in order
        found = page.find(piece, at)
        assert found >= 0, piece
        at = found + len(piece)


def test_values_escaped_together_are_each_escaped():
    texts = ["Kring <1> & 'zo'", "", 'Een "noot"', "{id} {0}", "gewoon"]
    assert esc_all(texts) == [str(escape(t)) for t in texts]
    assert esc_all([]) == []
    # a value holding the joining character after all: each escaped on its own
    odd = ["a\x00<b>", "c & d"]
    assert esc_all(odd) == [str(escape(t)) for t in odd]


def test_the_agreement_forms_words_are_said_in_the_pages_language(app):
    # Said once per language (parts._review_words, _agreement_words), never in another's.
    from app.meetings.forms_followup import AgreementForm, ReviewForm
    from app.meetings.views import parts

    said = {}
    with app.test_request_context():
        for language in ("en", "nl", "en"):
            with force_locale(language):
                fields = parts.review_fields()
                assert fields.status_label == str(ReviewForm.status.args[0])
                assert fields.note_label == str(ReviewForm.note.args[0])
                assert fields.statuses == [
                    (c.value, str(c.label)) for c in ReviewForm.status.kwargs["choices"]
                ]
                words = parts._agreement_words(language)
                assert words[0] == str(AgreementForm.text.args[0])
                assert [label for _, _, label in words[2]] == [
                    str(escape(c.label)) for c in AgreementForm.party.kwargs["choices"]
                ]
                said[language] = fields.status_label
    assert said["en"] != said["nl"]


def test_the_circle_at_a_meeting_says_who_is_invited_and_who_may_own(app, circle, planned):
    # One statement (queries.circle_at) for the page's invitees and the owners it offers:
    # the same people, in the same order, as the two statements it replaces.
    from datetime import timedelta

    from app.circle.models import Membership
    from app.core.db import utcnow
    from app.meetings.services import queries

    left = db.session.query(Membership).filter_by(
        child_id=circle.child.id, user_id=circle.teacher.id
    )
    left.one().active_until = utcnow() - timedelta(days=1)  # invited, then left the circle
    db.session.commit()
    with app.test_request_context():
        meeting = db.session.get(Meeting, planned.id)
        seat = seat_for(circle.coach, circle.child)
        members = queries.circle_at(db.session, meeting)
        attendees = queries.attendees_in(members)
        assert attendees == queries.attendees(db.session, meeting)
        assert {a.user_id for a in attendees} == {circle.coach.id, circle.parent.id}
        owners = agreement_rows.owners_in(members)
        assert owners == agreement_rows.owner_choices(db.session, seat)
        assert circle.parent2.id in dict(owners) and circle.teacher.id not in dict(owners)
