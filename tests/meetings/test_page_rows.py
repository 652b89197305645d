"""The rows the meeting's page and meeting mode repeat (an earlier agreement's review form,
an agenda item's notes form), and the new agreement's form, are drawn from plain values, not
from a WTForms form each; a form sent back is still drawn through ``render_field``. Both must
give the same HTML: the same fields, names, ids, labels, limits, choices, chosen values and
form token."""

from __future__ import annotations

import re

import pytest
from flask_login import login_user

from app.circle import policy
from app.circle.audience import Audience
from app.clips.models import Moment, Tag
from app.core.db import db
from app.meetings.forms import ContributionForm
from app.meetings.forms_followup import AgreementForm, ReviewForm
from app.meetings.mode_forms import ItemNotesForm
from app.meetings.models import AgendaItem, ItemNotes
from app.meetings.models_followup import (
    Agreement,
    AgreementReview,
    AgreementStatus,
    Party,
)
from app.meetings.services import queries
from app.meetings.views.mode import item_step
from app.meetings.views.mode_agreements import agreements_step
from app.meetings.views.planning import meeting_page
from tests.support.meetings import days_ahead, plan


def _normal(html: str) -> str:
    return re.sub(r">\s+<", "><", re.sub(r"\s+", " ", html)).strip()


def _form(html: str, opening: str) -> list[str]:
    """Each form on ``html`` whose tag starts with ``opening``, up to its button."""
    return [_normal(m) for m in re.findall(re.escape(opening) + r".*?<button", html, re.S)]


@pytest.fixture
def csrf_on(app, monkeypatch):
    """Form tokens on (the tests switch them off): each row must carry the page's one."""
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)


def test_a_review_row_draws_what_its_wtforms_form_draws(app, circle, planned, csrf_on):
    later = plan(app, circle.child, circle.coach, [circle.parent], day=days_ahead(28))
    reviewed, open_one = (
        Agreement(
            child_id=circle.child.id,
            meeting_id=planned.id,
            text=text,
            party=Party.HOME,
            owner_id=circle.parent.id,
            due_on=days_ahead(3),
            status=AgreementStatus.OPEN,
        )
        for text in ("Voorlezen <elke> avond & ochtend", "Samen naar school fietsen")
    )
    db.session.add_all([reviewed, open_one])
    db.session.flush()
    db.session.add(
        AgreementReview(
            agreement_id=reviewed.id,
            meeting_id=later.id,
            child_id=circle.child.id,
            reviewed_by_id=circle.coach.id,
            status=AgreementStatus.PARTLY,
            note='Drie "avonden" van de <vijf>',
        )
    )
    reviewed.status = AgreementStatus.PARTLY
    db.session.commit()
    with app.test_request_context("/"):
        login_user(circle.coach)
        seat = policy.seat_or_404(circle.child.id, circle.coach)
        seen = queries.meeting_or_404(db.session, seat, later.id)
        drawn = meeting_page(seat, seen, ContributionForm())
        forms = {}
        for a, status, note in (
            (reviewed, "partly", 'Drie "avonden" van de <vijf>'),
            (open_one, None, ""),
        ):
            form = ReviewForm(prefix=f"review-{a.id}", formdata=None)
            form.status.data, form.note.data, form.version.data = status, note, str(a.version)
            forms[a.id] = form
        through_wtforms = meeting_page(seat, seen, ContributionForm(), review_forms=forms)
    opening = '<form method="post" action="/children/'
    by_hand = [f for f in _form(drawn, opening) if 'class="review-form"' in f]
    expected = [f for f in _form(through_wtforms, opening) if 'class="review-form"' in f]
    assert len(by_hand) == 2 and by_hand == expected
    assert f'name="review-{reviewed.id}-csrf_token"' in by_hand[0]
    assert '<option selected value="partly">' in by_hand[0]
    assert "Drie &#34;avonden&#34; van de &lt;vijf&gt;</textarea>" in by_hand[0]
    assert "selected" not in by_hand[1]


def test_an_item_notes_form_draws_what_its_wtforms_form_draws(
    app, circle, planned, make_clip, csrf_on
):
    clip = make_clip(circle.child, circle.coach, audience=Audience.CIRCLE, title="Kring & co")
    moments = [
        Moment(
            child_id=circle.child.id,
            clip_id=clip.id,
            author_id=circle.coach.id,
            start_s=start,
            tag=Tag.NEED,
            audience=Audience.CIRCLE,
        )
        for start in (2.5, 12.0)
    ]
    db.session.add_all(moments)
    items = [
        AgendaItem(meeting_id=planned.id, child_id=circle.child.id, position=n, clip_id=clip.id)
        for n in (1, 2)
    ]
    db.session.add_all(items)
    db.session.flush()
    db.session.add(
        ItemNotes(
            meeting_id=planned.id,
            child_id=circle.child.id,
            item_id=items[0].id,
            seen="Hij <wacht> & kijkt",
            need="Een vast teken",
            need_moment_id=moments[1].id,
        )
    )
    db.session.commit()
    opening = '<form class="mode-notes"'
    with app.test_request_context("/"):
        login_user(circle.coach)
        seat = policy.seat_or_404(circle.child.id, circle.coach)
        by_hand = [_form(item_step(seat, planned, item.id), opening)[0] for item in items]
        through_wtforms = []
        for item, (seen, need, moment) in zip(
            items,
            [("Hij <wacht> & kijkt", "Een vast teken", str(moments[1].id)), ("", "", "")],
            strict=True,
        ):
            saved = db.session.query(ItemNotes).filter_by(item_id=item.id).one_or_none()
            form = ItemNotesForm(prefix=f"item-{item.id}", formdata=None)
            form.seen.data, form.need.data, form.moment.data = seen, need, moment
            form.version.data = str(saved.version) if saved else "0"
            through_wtforms.append(item_step(seat, planned, item.id, posted=form))
    for n, page in enumerate(through_wtforms):
        assert by_hand[n] == _form(page, opening)[0]
    first = by_hand[0]
    assert f'name="item-{items[0].id}-csrf_token"' in first
    assert 'aria-keyshortcuts="n"' in first and "Hij &lt;wacht&gt; &amp; kijkt</textarea>" in first
    assert f'data-start="12" selected value="{moments[1].id}">0:12 · ' in first
    assert '<option selected value="">' in by_hand[1]


def _new_agreement_form(html: str) -> str:
    """The new agreement's form on ``html``, exactly as written."""
    found = re.search(
        r'<form method="post" action="[^"]*" novalidate class="agreement-form".*?</form>',
        html,
        re.S,
    )
    assert found is not None
    return found.group(0)


@pytest.mark.parametrize("in_mode", [False, True])
def test_the_new_agreement_form_draws_what_its_wtforms_form_draws(
    app, circle, planned, csrf_on, in_mode
):
    with app.test_request_context("/"):
        login_user(circle.coach)
        seat = policy.seat_or_404(circle.child.id, circle.coach)
        seen = queries.meeting_or_404(db.session, seat, planned.id)

        def page(**followup):
            if in_mode:
                return agreements_step(seat, seen.meeting, **followup)
            return meeting_page(seat, seen, **followup)

        drawn = page()
        through_wtforms = page(agreement_form=AgreementForm(formdata=None))
    by_hand = _new_agreement_form(drawn)
    assert by_hand == _new_agreement_form(through_wtforms)
    assert '<input name="csrf_token" type="hidden" value="' in by_hand
    assert f'<option selected value="{circle.coach.id}">' in by_hand
    assert ('aria-keyshortcuts="a"' in by_hand) is in_mode
    # the form above it says nothing wrong, as form_errors says it of a form with no errors
    heading = '<h3 id="new-agreement-title">'
    assert (
        drawn.split(heading)[1].split("<form")[0]
        == through_wtforms.split(heading)[1].split("<form")[0]
    )
