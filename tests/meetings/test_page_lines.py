"""The agreements part of the meeting's page reads plain lines worked out once by the view
(``app.meetings.views.agreement_lines``: the words said once per language, the texts escaped
in one pass, ``holes.esc_all``) and the circle at the meeting in one statement: the page
must still say, escaped, what the template said of each agreement a row at a time, and the
same invitees and owners as the statements the circle replaced."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask_babel import force_locale
from flask_login import login_user
from markupsafe import escape

from app.circle.models import Membership
from app.circle.policy import seat_for
from app.core.db import db, utcnow
from app.meetings.forms_followup import AgreementForm, ReviewForm
from app.meetings.models import Meeting
from app.meetings.models_followup import AgreementReview, AgreementStatus
from app.meetings.services import agreement_rows, queries
from app.meetings.views import parts
from app.meetings.views.planning import meeting_page
from tests.support.meetings import agreement_made, days_ahead, plan

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
    # The rows' texts are worked out and escaped once by the view (agreement_lines.agreement_lines):
    # the page must still say what the template said of each agreement, escaped as it did.
    later = plan(app, circle.child, circle.coach, [circle.coach, circle.parent], day=days_ahead(28))
    planned, later = db.session.get(Meeting, planned.id), db.session.get(Meeting, later.id)
    parent = db.session.get(type(circle.parent), circle.parent.id)
    parent.name = "Ouder 'Petra' & <co>"
    long = 'Elke avond <samen> lezen & daarna "praten" over {id} het verhaal van de dag'
    earlier = [
        agreement_made(circle, planned, 'Een <vast> teken & "meer" {0}', -3, circle.parent),
        agreement_made(circle, planned, long, 5, circle.coach),
        agreement_made(circle, planned, "Zelfde dag", 5, circle.teacher),
        agreement_made(circle, planned, "Van een oud lid", -2, circle.parent),
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
        agreement_made(circle, later, long + " en nog wat", -1, circle.coach),
        agreement_made(circle, later, "Gedaan & <klaar>", -1, circle.parent),
        # just over and just at what truncate leaves whole (40 and a leeway of 5)
        agreement_made(
            circle, later, "Samen <lezen> & praten over het boek van de da", 9, circle.coach
        ),
        agreement_made(
            circle, later, "Samen <lezen> & praten over het boek van de d", 9, circle.coach
        ),
    ]
    here[1].status = AgreementStatus.DONE
    db.session.commit()
    person = circle.coach if who == "coach" else circle.parent
    with app.test_request_context():
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


def test_the_agreement_forms_words_are_said_in_the_pages_language(app):
    # Said once per language (parts._review_words, _agreement_words), never in another's.
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
