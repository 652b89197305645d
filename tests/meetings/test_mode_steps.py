"""Meeting mode's steps: each agenda item at its own address, then the agreements; the
navigation on every step, an item not shown not found, who opens the steps, and a refused
note shown again on its own step."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from app.circle.audience import Audience
from app.clips.models import Source
from app.core.db import db
from app.meetings.models import AgendaItem
from app.meetings.services import queries
from app.meetings.services.notes import NOTES_MAX
from app.meetings.services.steps import item_of
from tests.support.meetings import days_ahead, fields, mode_url, notes_url, plan


@pytest.fixture
def three_items(circle, planned, make_clip):
    """The planned meeting's agenda: a school fragment beside a home fragment (both for the
    whole circle, a preparation note), a school fragment for the team, and a home fragment
    only its uploader and the coaches watch (hidden from the teacher)."""
    clips = [
        make_clip(circle.child, circle.coach, audience=Audience.CIRCLE, title="Kring school"),
        make_clip(
            circle.child, circle.parent, source=Source.HOME, audience=Audience.CIRCLE, title="Thuis"
        ),
        make_clip(circle.child, circle.coach, audience=Audience.TEAM, title="Rekenen"),
        make_clip(
            circle.child, circle.parent, source=Source.HOME, audience=Audience.PRIVATE, title="Eten"
        ),
    ]
    items = [
        AgendaItem(
            meeting_id=planned.id,
            child_id=circle.child.id,
            position=1,
            clip_id=clips[0].id,
            pair_clip_id=clips[1].id,
            prep_note="Let op de overgang",
        ),
        *(
            AgendaItem(
                meeting_id=planned.id, child_id=circle.child.id, position=position, clip_id=clip.id
            )
            for position, clip in ((2, clips[2]), (3, clips[3]))
        ),
    ]
    db.session.add_all(items)
    db.session.commit()
    return items


def steps_of(page: str) -> tuple[list[str], str | None, str | None, str | None]:
    """The step navigation of a page: its links, the current one, previous and next."""
    nav = re.search(r'<nav class="mode-agenda card".*?</nav>', page, flags=re.S).group(0)
    links = re.findall(r'<a (?:class="[^"]*" )?(?:rel="\w+" )?href="([^"]+)"', nav)
    current = re.search(r'href="([^"]+)" aria-current="step"', nav)
    prev, next_ = (re.search(rf'rel="{rel}" href="([^"]+)"', nav) for rel in ("prev", "next"))
    return (
        links,
        current.group(1) if current else None,
        prev.group(1) if prev else None,
        next_.group(1) if next_ else None,
    )


def test_meeting_mode_goes_step_by_step(client, login_as, circle, planned, three_items):
    """Each item its own step (its player, notes and form only), then the agreements; the
    navigation names every step, marks this one and links the previous and the next."""
    login_as(circle.coach)
    first, second, third = three_items
    step = [mode_url(planned, f"/items/{item.id}") for item in three_items]
    agreements = mode_url(planned, "/agreements")

    page = client.get(mode_url(planned) + "?lang=en").get_data(as_text=True)
    links, current, prev, next_ = steps_of(page)
    assert links[:4] == [*step, agreements] and current == step[0]
    assert (prev, next_) == (None, step[1])
    assert page.count('class="mode-item card"') == 1 and f'id="item-{first.id}"' in page
    assert page.count("data-notes") == 1 and 'id="attendance"' in page  # the first step
    assert "Item 1 of 3" in page and "Rekenen" in page  # the next item named, not drawn
    assert page.count("data-player ") == 2

    page = client.get(step[1] + "?lang=en").get_data(as_text=True)
    _, current, prev, next_ = steps_of(page)
    assert (current, prev, next_) == (step[1], step[0], step[2])
    assert f'id="item-{second.id}"' in page and f'id="item-{first.id}"' not in page
    assert "Item 2 of 3" in page and 'id="attendance"' not in page
    assert "Let op de overgang" not in page  # the first item's preparation note

    page = client.get(step[2] + "?lang=en").get_data(as_text=True)
    assert steps_of(page)[3] == agreements and f'id="item-{third.id}"' in page

    page = client.get(agreements + "?lang=en").get_data(as_text=True)
    _, current, prev, next_ = steps_of(page)
    assert (current, prev, next_) == (agreements, step[2], None)
    assert 'id="agreements"' in page and "data-notes" not in page
    assert 'class="agreement-form"' in page  # the coach makes agreements here


def test_a_step_of_an_item_not_shown_is_not_found(
    app, client, login_as, circle, planned, three_items, make_child
):
    hidden = three_items[2]
    teacher = login_as(circle.teacher, on=app.test_client())
    page = teacher.get(mode_url(planned) + "?lang=en").get_data(as_text=True)
    assert "1 item is not shown" in page and "Eten" not in page
    assert steps_of(page)[0][:3] == [
        mode_url(planned, f"/items/{three_items[0].id}"),
        mode_url(planned, f"/items/{three_items[1].id}"),
        mode_url(planned, "/agreements"),
    ]
    assert teacher.get(mode_url(planned, f"/items/{hidden.id}")).status_code == 404
    login_as(circle.coach)
    assert client.get(mode_url(planned, f"/items/{hidden.id}")).status_code == 200
    # An item of another meeting, and one that does not exist.
    other = plan(app, circle.child, circle.coach, [circle.coach])
    assert client.get(mode_url(other, f"/items/{hidden.id}")).status_code == 404
    assert client.get(mode_url(planned, "/items/999999")).status_code == 404


def test_only_the_school_side_opens_the_steps(
    app, client, login_as, circle, planned, three_items, make_user
):
    steps = [mode_url(planned, f"/items/{three_items[1].id}"), mode_url(planned, "/agreements")]
    login_as(circle.parent)  # invited, and still not: see policy.may_run_meeting
    assert [client.get(url).status_code for url in steps] == [403, 403]
    outsider = login_as(make_user("Buiten Staand", staff=True), on=app.test_client())
    assert [outsider.get(url).status_code for url in steps] == [404, 404]
    teacher = login_as(circle.teacher, on=app.test_client())
    assert [teacher.get(url).status_code for url in steps] == [200, 200]


def test_a_refused_note_is_shown_again_on_its_step(client, login_as, circle, planned, three_items):
    login_as(circle.coach)
    second = three_items[1]
    values = fields(second, seen="x" * (NOTES_MAX + 1), need="Rust")
    response = client.post(notes_url(planned, second) + "?lang=en", data=values)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert steps_of(page)[1] == mode_url(planned, f"/items/{second.id}")
    assert f'id="item-{second.id}"' in page and "Rust</textarea>" in page
    saved = client.post(notes_url(planned, second), data=fields(second, seen="Kort"))
    assert saved.headers["Location"].endswith(f"/mode/items/{second.id}#item-{second.id}")


def test_the_attendees_are_the_invitees_and_the_item_knows_whether_parents_watch(
    app, circle, planned, three_items
):
    """``queries.attendees`` (the first step's attendance) says what ``invitees_of`` says,
    and an item's step knows in its own query what ``home_side_invited`` says."""
    team = plan(app, circle.child, circle.coach, [circle.coach, circle.teacher], day=days_ahead(9))
    item = AgendaItem(
        meeting_id=team.id, child_id=circle.child.id, position=1, clip_id=three_items[0].clip_id
    )
    db.session.add(item)
    db.session.commit()
    for meeting, its_item in ((planned, three_items[0]), (team, item)):
        found = queries.attendees(db.session, meeting)
        invitees = queries.invitees_of(db.session, meeting)
        assert found == [(i.user_id, i.user.name, i.attended) for i in invitees]
        shown, _notes = item_of(db.session, meeting, its_item.id)
        assert shown.home_side is queries.home_side_invited(db.session, meeting)
    assert queries.home_side_invited(db.session, planned)
    assert not queries.home_side_invited(db.session, team)


def test_what_meeting_mode_writes_unescaped_is_words_of_the_catalogue_and_holes():
    """The parts of meeting mode's templates written without escaping hold only words of
    the catalogue without values (``_("…")``, and the word the moments' blanks are handed,
    ``play_from``) and the holes of rows drawn once (``h.…``): no value can slip into them
    unescaped."""
    allowed = re.compile(r"""^(_\("[^"%]*"\)|_\('[^'%]*'\)|h\.\w+|play_from)$""")
    root = Path(__file__).parents[2] / "templates" / "meetings"
    found = 0
    for name in ("mode.html", "_mode_steps.html"):
        source = (root / name).read_text()
        parts = re.findall(r"{%-? autoescape false -?%}(.*?){%-? endautoescape -?%}", source, re.S)
        assert parts, name
        for part in parts:
            for output in re.findall(r"{{-?(.*?)-?}}", part, re.S):
                assert allowed.match(output.strip()), (name, output)
                found += 1
    assert found > 20
