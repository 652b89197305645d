"""Meeting mode: the notes per agenda item saved (by the page's form and as typed) and shown
again after a reload, a stale autosave refused with the text kept, citing only a moment of
the item, attendance, who opens it, and bad input."""

from __future__ import annotations

import re

import pytest
from flask_login import login_user
from sqlalchemy import func, select, update

from app.circle import policy
from app.circle.audience import Audience
from app.clips.models import Moment, Tag
from app.core.db import db
from app.meetings.mode_forms import AttendanceForm
from app.meetings.models import ItemNotes, Meeting, MeetingInvitee, MeetingState
from app.meetings.services.notes import NOTES_MAX
from app.meetings.views.mode import item_step
from tests.support.meetings import fields, mode_url, notes_url

JSON = {"Accept": "application/json"}


def stored(item) -> ItemNotes | None:
    db.session.expire_all()
    return db.session.scalar(select(ItemNotes).where(ItemNotes.item_id == item.id))


def test_notes_typed_are_saved_and_shown_after_a_reload(client, login_as, circle, planned, agenda):
    login_as(circle.coach)
    item = agenda["item"]
    page = client.get(mode_url(planned) + "?lang=en").get_data(as_text=True)
    # The guiding question on top, the pair side by side, the need named after the child.
    assert planned.guiding_question in page
    assert page.count("data-player ") == 2 and "mode-pair" in page
    assert f"What does {circle.child.name} need?" in page
    assert "Let op de overgang" in page  # the coach reads the preparation note

    # As typed: the script's save answers with the new version.
    typed = client.post(
        notes_url(planned, item) + "?lang=en",
        data=fields(item, seen="Hij kijkt naar de juf", need="Een", moment=""),
        headers=JSON,
    )
    assert typed.status_code == 200
    assert typed.json["version"] == 1 and "Saved at" in typed.json["message"]
    # Typing on: the next save starts from that version.
    more = client.post(
        notes_url(planned, item),
        data=fields(
            item,
            seen="Hij kijkt naar de juf",
            need="Een vast moment om te beginnen",
            moment=str(agenda["home"].id),
            version="1",
        ),
        headers=JSON,
    )
    assert more.status_code == 200 and more.json["version"] == 2

    # Without script: the form's own button, then a reload shows what was saved.
    form = client.post(
        notes_url(planned, item) + "?lang=en",
        data=fields(
            item,
            seen="Hij kijkt naar de juf en wacht",
            need="Een vast moment om te beginnen",
            moment=str(agenda["home"].id),
            version="2",
        ),
    )
    assert form.status_code == 302 and form.headers["Location"].endswith(f"#item-{item.id}")
    page = client.get(mode_url(planned) + "?lang=en").get_data(as_text=True)
    assert "Hij kijkt naar de juf en wacht</textarea>" in page
    assert "Een vast moment om te beginnen</textarea>" in page
    # The cited moment of the home fragment: its time shows and starts that player there.
    cited = re.search(r'<p class="cited small" data-cited>.*?</p>', page, flags=re.S).group(0)
    assert 'data-jump="1.5"' in cited and f'data-for-player="player-{item.id}-b"' in cited
    assert "0:01" in cited
    assert stored(item).need_moment_id == agenda["home"].id


def test_a_stale_autosave_is_refused_and_the_text_kept(
    app, client, login_as, circle, planned, agenda
):
    item = agenda["item"]
    # The teacher's laptop saves first.
    laptop = login_as(circle.teacher, on=app.test_client())
    first = laptop.post(
        notes_url(planned, item), data=fields(item, seen="Wat de juf zag"), headers=JSON
    )
    assert first.status_code == 200
    # The coach's page was opened before that save (version 0): refused, nothing overwritten.
    login_as(circle.coach)
    stale = client.post(
        notes_url(planned, item) + "?lang=en",
        data=fields(item, seen="Wat de coach typte"),
        headers=JSON,
    )
    assert stale.status_code == 409
    assert "Someone else saved a change" in stale.json["message"]
    assert stale.json["seen"] == "Wat de juf zag" and stale.json["version"] == 1
    assert stored(item).seen == "Wat de juf zag"

    # The same without script: the page comes back with the coach's text in the field and
    # what is saved now beside it.
    page = client.post(
        notes_url(planned, item) + "?lang=en", data=fields(item, seen="Wat de coach typte")
    )
    assert page.status_code == 409
    html = page.get_data(as_text=True)
    assert "Wat de coach typte</textarea>" in html
    assert "Saved now:" in html and "Wat de juf zag" in html
    assert 'value="1"' in re.search(rf'name="item-{item.id}-version"[^>]*>', html).group(0)
    # Merged by hand and saved on the version the refusal gave: it goes through.
    merged = client.post(
        notes_url(planned, item),
        data=fields(item, seen="Wat de juf zag; wat de coach typte", version="1"),
        headers=JSON,
    )
    assert merged.status_code == 200
    assert stored(item).seen == "Wat de juf zag; wat de coach typte"


def test_a_need_cites_only_a_moment_of_its_item_that_everyone_watching_sees(
    client, login_as, circle, planned, agenda, make_clip, make_child
):
    login_as(circle.coach)
    item = agenda["item"]
    other_clip = make_clip(circle.child, circle.coach, audience=Audience.CIRCLE, title="Ander")
    other_child = make_child("Ander Kind", coach=circle.coach)
    elsewhere = make_clip(other_child, circle.coach, audience=Audience.CIRCLE)
    refused = {}
    for name, clip, audience in [
        ("another clip", other_clip, Audience.CIRCLE),
        ("another child", elsewhere, Audience.CIRCLE),
    ]:
        moment = Moment(
            child_id=clip.child_id, clip_id=clip.id, start_s=1.0, tag=Tag.NEED, audience=audience
        )
        db.session.add(moment)
        db.session.commit()
        refused[name] = moment.id
    # Parents are invited: a moment only the team sees is not on the shared screen.
    refused["team only"] = agenda["team"].id
    refused["nonsense"] = "twee"
    page = client.get(mode_url(planned) + "?lang=en").get_data(as_text=True)
    assert ">team<" not in page and ">school<" in page
    for name, moment_id in refused.items():
        response = client.post(
            notes_url(planned, item) + "?lang=en",
            data=fields(item, need="Rust", moment=str(moment_id)),
            headers=JSON,
        )
        assert response.status_code == 400, name
        assert "Choose a moment of this item's fragments" in response.json["message"], name
    assert stored(item) is None


def test_attendance_is_marked_and_shown(client, login_as, circle, planned, agenda):
    login_as(circle.coach)
    url = mode_url(planned, "/attendance") + "?lang=en"
    response = client.post(
        url, data={"marked": "1", "present": [circle.coach.id, circle.parent.id]}
    )
    assert response.status_code == 302
    db.session.expire_all()
    want = {circle.coach.id: True, circle.teacher.id: False, circle.parent.id: True}
    assert attendance(planned) == want
    page = client.get(mode_url(planned) + "?lang=en").get_data(as_text=True)
    boxes = re.findall(r'<input[^>]*name="present"[^>]*>', page)
    assert sum("checked" in box for box in boxes) == 2
    # Someone not invited (the specialist), or an empty post: refused, nothing changed.
    for data in ({"marked": "1", "present": [circle.specialist.id]}, {}):
        bad = client.post(url, data=data, headers=JSON)
        assert bad.status_code == 400 and bad.json["message"]
    assert attendance(planned) == want


def test_the_attendance_drawn_by_hand_is_what_its_wtforms_form_draws(
    app, monkeypatch, client, login_as, circle, planned, agenda
):
    login_as(circle.coach)
    client.post(
        mode_url(planned, "/attendance"), data={"marked": "1", "present": [circle.coach.id]}
    )
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)  # the token drawn too

    def form_of(html: str) -> str:
        found = re.search(r'<form method="post" action="[^"]*/attendance".*?<button', html, re.S)
        return re.sub(r">\s+<", "><", found.group(0))

    with app.test_request_context("/"):
        login_user(circle.coach)
        seat = policy.seat_or_404(circle.child.id, circle.coach)
        by_hand = form_of(item_step(seat, planned))
        form = AttendanceForm(formdata=None)
        form.present.data = [circle.coach.id]
        through_wtforms = form_of(item_step(seat, planned, attendance=form))
    assert by_hand == through_wtforms
    assert by_hand.count("checked") == 1 and 'name="csrf_token"' in by_hand


def attendance(meeting) -> dict[int, bool | None]:
    db.session.expire_all()
    rows = db.session.scalars(select(MeetingInvitee).where(MeetingInvitee.meeting_id == meeting.id))
    return {row.user_id: row.attended for row in rows}


@pytest.mark.parametrize(
    ("case", "data", "message"),
    [
        ("too long", {"seen": "x" * (NOTES_MAX + 1)}, "Use at most"),
        ("no version", {"seen": "Iets", "version": ""}, "The form was incomplete"),
        ("moment without need", {"need": "", "moment": "__school__"}, "Write what the child"),
        ("stale", {"seen": "Iets", "version": "7"}, "Someone else saved"),
    ],
)
def test_bad_notes_get_a_clear_message_and_change_nothing(
    client, login_as, circle, planned, agenda, case, data, message
):
    login_as(circle.coach)
    item = agenda["item"]
    values = fields(item)
    for key, value in data.items():
        values[f"item-{item.id}-{key}"] = (
            str(agenda["school"].id) if value == "__school__" else value
        )
    response = client.post(notes_url(planned, item) + "?lang=en", data=values)
    assert response.status_code in (400, 409), case
    assert message in response.get_data(as_text=True), case
    assert db.session.scalar(select(func.count()).select_from(ItemNotes)) == 0


def test_only_the_school_side_opens_meeting_mode(app, client, login_as, circle, planned, agenda):
    show = f"/children/{circle.child.id}/meetings/{planned.id}?lang=en"
    teacher = login_as(circle.teacher, on=app.test_client())
    assert "Let op de overgang" in teacher.get(mode_url(planned)).get_data(as_text=True)
    assert "Meeting mode" in teacher.get(show).get_data(as_text=True)
    login_as(circle.parent)  # invited, and still not: see policy.may_run_meeting
    assert client.get(mode_url(planned)).status_code == 403
    assert "Meeting mode" not in client.get(show).get_data(as_text=True)
    item = agenda["item"]
    assert client.post(notes_url(planned, item), data=fields(item, seen="x")).status_code == 403
    assert stored(item) is None


def test_a_cancelled_meeting_takes_no_more_notes(client, login_as, circle, planned, agenda):
    login_as(circle.coach)
    item = agenda["item"]
    db.session.execute(
        update(Meeting).where(Meeting.id == planned.id).values(state=MeetingState.CANCELLED)
    )
    db.session.commit()
    page = client.get(mode_url(planned) + "?lang=en").get_data(as_text=True)
    assert "no longer open" in page and "data-notes" not in page
    response = client.post(
        notes_url(planned, item) + "?lang=en", data=fields(item, seen="Te laat"), headers=JSON
    )
    assert response.status_code == 400 and "no longer open" in response.json["message"]
    assert stored(item) is None
