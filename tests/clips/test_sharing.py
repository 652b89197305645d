"""Who sees a clip or a moment: changing its audience, and the people in view (issue 7 item 7).

The full matrix of who may set which audience is tests/core/test_audience.py (the policy); the
walk of every clip route by every visitor is tests/test_authorization.py. Here: the rules as a
person meets them through the pages, what is recorded, and what is refused.
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.circle import policy
from app.circle.audience import Audience
from app.clips.models import Clip, Moment, Source, Tag
from app.clips.services import sharing
from app.core.audit import AuditEvent
from app.core.db import db
from app.core.errors import ForbiddenError, RefusedError
from tests.support.audience import SETS, sees
from tests.support.circle import pupil_of_sixteen
from tests.support.consent import sign_consent


@pytest.fixture
def signed(app, circle):
    sign_consent(app, circle.child, circle.parent)
    return circle


def fresh(app, login_as, user):
    return login_as(user, on=app.test_client())


def audience_of(clip_id: int) -> Audience:
    db.session.expire_all()
    return db.session.get(Clip, clip_id).audience


def events(action: str) -> list[AuditEvent]:
    return list(
        db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
        )
    )


def post_audience(client, clip, audience: str, **extra):
    return client.post(
        f"/children/{clip.child_id}/clips/{clip.id}/audience?lang=en",
        data={"audience": audience, **extra},
    )


def parent_sees(app, login_as, circle, clip) -> bool:
    client = fresh(app, login_as, circle.parent)
    return client.get(f"/children/{circle.child.id}/clips/{clip.id}").status_code == 200


# --- clips --------------------------------------------------------------------------------------


def test_the_coach_shares_with_the_circle_and_it_is_recorded(app, login_as, signed, make_clip):
    clip = make_clip(signed.child, signed.teacher, audience=Audience.TEAM)
    assert not parent_sees(app, login_as, signed, clip)

    coach = fresh(app, login_as, signed.coach)
    page = coach.get(f"/children/{signed.child.id}/clips/{clip.id}/audience")
    assert page.status_code == 200 and 'value="circle"' in page.get_data(as_text=True)
    response = post_audience(coach, clip, "circle")
    assert response.status_code == 302
    assert audience_of(clip.id) is Audience.CIRCLE
    assert parent_sees(app, login_as, signed, clip)
    [event] = events("clip_audience_changed")
    assert event.payload() == {"from": "team", "to": "circle"}
    assert event.actor_id == signed.coach.id


def test_a_teacher_cannot_share_with_the_circle(app, login_as, signed, make_clip):
    clip = make_clip(signed.child, signed.teacher, audience=Audience.TEAM)
    teacher = fresh(app, login_as, signed.teacher)
    page = teacher.get(f"/children/{signed.child.id}/clips/{clip.id}/audience")
    assert 'value="circle"' not in page.get_data(as_text=True)  # not offered
    assert post_audience(teacher, clip, "circle").status_code == 403  # nor taken when forged
    assert audience_of(clip.id) is Audience.TEAM
    assert events("clip_audience_changed") == []
    # Their own upload: they choose between private and team.
    assert post_audience(teacher, clip, "private").status_code == 302
    assert audience_of(clip.id) is Audience.PRIVATE


def test_a_teacher_cannot_change_someone_elses_clip(app, login_as, signed, make_clip):
    clip = make_clip(signed.child, signed.coach, audience=Audience.TEAM)
    teacher = fresh(app, login_as, signed.teacher)
    page = teacher.get(f"/children/{signed.child.id}/clips/{clip.id}/audience")
    assert page.status_code == 200 and 'type="radio"' not in page.get_data(as_text=True)
    assert post_audience(teacher, clip, "private").status_code == 403
    assert audience_of(clip.id) is Audience.TEAM


def test_a_parent_opens_their_home_recording_to_the_team_and_the_coach_may_then_share_it(
    app, login_as, signed, make_clip
):
    clip = make_clip(signed.child, signed.parent, source=Source.HOME, audience=Audience.PRIVATE)
    coach = fresh(app, login_as, signed.coach)
    page = coach.get(f"/children/{signed.child.id}/clips/{clip.id}/audience?lang=en")
    assert "Only Ouder Petra and the coaches" in page.get_data(as_text=True)
    # The coach sees it ("only me and the coaches") but may not open it for the parent.
    assert post_audience(coach, clip, "team").status_code == 403
    assert post_audience(coach, clip, "circle").status_code == 403
    assert audience_of(clip.id) is Audience.PRIVATE
    teacher = fresh(app, login_as, signed.teacher)
    assert teacher.get(f"/children/{signed.child.id}/clips/{clip.id}").status_code == 404

    parent = fresh(app, login_as, signed.parent)
    page = parent.get(f"/children/{signed.child.id}/clips/{clip.id}/audience")
    html = page.get_data(as_text=True)
    assert 'value="team"' in html and 'value="circle"' not in html
    assert post_audience(parent, clip, "circle").status_code == 403  # only a coach
    assert post_audience(parent, clip, "team").status_code == 302
    assert audience_of(clip.id) is Audience.TEAM
    assert teacher.get(f"/children/{signed.child.id}/clips/{clip.id}").status_code == 200

    assert post_audience(coach, clip, "circle").status_code == 302
    assert audience_of(clip.id) is Audience.CIRCLE
    assert parent_sees(app, login_as, signed, clip)


def test_a_clip_showing_others_reaches_the_circle_only_after_the_coach_confirms(
    app, login_as, signed, make_clip
):
    clip = make_clip(signed.child, signed.teacher, audience=Audience.TEAM, shows_others=True)
    coach = fresh(app, login_as, signed.coach)
    refused = post_audience(coach, clip, "circle")
    assert refused.status_code == 200
    assert "Confirm first that they are covered" in refused.get_data(as_text=True)
    assert audience_of(clip.id) is Audience.TEAM
    assert not parent_sees(app, login_as, signed, clip)

    url = f"/children/{signed.child.id}/clips/{clip.id}/others-cleared"
    assert coach.get(url).status_code == 200
    assert coach.post(url).status_code == 302
    db.session.expire_all()
    cleared = db.session.get(Clip, clip.id)
    assert cleared.others_cleared_at is not None
    assert cleared.others_cleared_by_id == signed.coach.id
    assert cleared.audience is Audience.TEAM  # confirming is not sharing
    assert len(events("clip_others_cleared")) == 1

    coach.post(url)  # a double submit changes nothing
    assert len(events("clip_others_cleared")) == 1

    assert post_audience(coach, clip, "circle").status_code == 302
    assert parent_sees(app, login_as, signed, clip)


def test_only_the_coach_confirms_who_is_in_view(app, login_as, signed, make_clip):
    clip = make_clip(signed.child, signed.teacher, shows_others=True)
    url = f"/children/{signed.child.id}/clips/{clip.id}/others-cleared"
    for person in (signed.teacher, signed.specialist, signed.parent):
        assert fresh(app, login_as, person).post(url).status_code in (403, 404)
    db.session.expire_all()
    assert db.session.get(Clip, clip.id).others_cleared_at is None


def test_marking_a_circle_clip_as_showing_others_narrows_it_to_the_team(
    app, login_as, signed, make_clip
):
    clip = make_clip(signed.child, signed.coach, audience=Audience.CIRCLE)
    assert parent_sees(app, login_as, signed, clip)
    coach = fresh(app, login_as, signed.coach)
    response = coach.post(f"/children/{signed.child.id}/clips/{clip.id}/shows-others")
    assert response.status_code == 302
    db.session.expire_all()
    marked = db.session.get(Clip, clip.id)
    assert marked.shows_others and marked.others_cleared_at is None
    assert marked.audience is Audience.TEAM
    assert not parent_sees(app, login_as, signed, clip)
    [change] = events("clip_audience_changed")
    assert change.payload() == {"from": "circle", "to": "team"}


def test_extra_form_fields_change_nothing_else(app, login_as, signed, make_clip, make_child):
    other = make_child("Ander Kind", coach=signed.coach)
    clip = make_clip(signed.child, signed.teacher, audience=Audience.TEAM)
    coach = fresh(app, login_as, signed.coach)
    response = post_audience(
        coach,
        clip,
        "team",
        child_id=other.id,
        uploader_id=signed.coach.id,
        shows_others="y",
        others_cleared_at="2026-01-01T00:00:00",
        title="Anders",
    )
    assert response.status_code == 302
    db.session.expire_all()
    same = db.session.get(Clip, clip.id)
    assert (same.child_id, same.uploader_id, same.shows_others, same.title) == (
        signed.child.id,
        signed.teacher.id,
        False,
        "Kring in de ochtend",
    )
    assert same.others_cleared_at is None
    assert events("clip_audience_changed") == []  # the same audience: nothing to record


def test_bad_input_gets_a_clear_message_and_changes_nothing(app, login_as, signed, make_clip):
    clip = make_clip(signed.child, signed.teacher, audience=Audience.TEAM)
    coach = fresh(app, login_as, signed.coach)
    for value in ("", "everyone", "CIRCLE", "circle\n"):
        response = post_audience(coach, clip, value)
        assert response.status_code == 200, value
        assert "field-error" in response.get_data(as_text=True)
    assert audience_of(clip.id) is Audience.TEAM


def test_another_childs_clip_id_gives_404(app, login_as, signed, make_clip, make_child):
    other = make_child("Ander Kind", coach=signed.coach)
    foreign = make_clip(other, signed.coach, audience=Audience.TEAM)
    coach = fresh(app, login_as, signed.coach)
    url = f"/children/{signed.child.id}/clips/{foreign.id}"
    assert coach.post(f"{url}/audience", data={"audience": "private"}).status_code == 404
    assert coach.post(f"{url}/others-cleared").status_code == 404
    assert coach.post(f"{url}/shows-others").status_code == 404
    assert audience_of(foreign.id) is Audience.TEAM


def test_csrf_protects_the_audience_form(app, login_as, signed, make_clip, monkeypatch):
    clip = make_clip(signed.child, signed.teacher, audience=Audience.TEAM)
    coach = fresh(app, login_as, signed.coach)
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    assert post_audience(coach, clip, "circle").status_code in (400, 200)
    assert audience_of(clip.id) is Audience.TEAM


# --- moments ------------------------------------------------------------------------------------


def add_moment(clip: Clip, author, audience: Audience) -> Moment:
    moment = Moment(
        child_id=clip.child_id,
        clip_id=clip.id,
        author_id=author.id,
        start_s=2.0,
        tag=Tag.SUCCESS,
        text="Sem kijkt op en lacht",
        audience=audience,
    )
    db.session.add(moment)
    db.session.commit()
    return moment


def moment_url(moment: Moment) -> str:
    return f"/children/{moment.child_id}/clips/{moment.clip_id}/moments/{moment.id}/audience"


def test_moment_audience_follows_the_same_rule(app, login_as, signed, make_clip):
    clip = make_clip(signed.child, signed.coach, audience=Audience.CIRCLE)
    moment = add_moment(clip, signed.teacher, Audience.TEAM)
    teacher = fresh(app, login_as, signed.teacher)
    assert teacher.post(moment_url(moment), data={"audience": "circle"}).status_code == 403
    coach = fresh(app, login_as, signed.coach)
    assert coach.post(moment_url(moment), data={"audience": "circle"}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Moment, moment.id).audience is Audience.CIRCLE
    [event] = events("moment_audience_changed")
    assert event.payload() == {"from": "team", "to": "circle"}
    assert teacher.post(moment_url(moment), data={"audience": "private"}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Moment, moment.id).audience is Audience.PRIVATE


def test_a_moment_is_found_only_within_its_clip(app, login_as, signed, make_clip):
    clip = make_clip(signed.child, signed.coach, audience=Audience.CIRCLE)
    other_clip = make_clip(signed.child, signed.coach, audience=Audience.CIRCLE)
    moment = add_moment(clip, signed.coach, Audience.TEAM)
    coach = fresh(app, login_as, signed.coach)
    url = f"/children/{signed.child.id}/clips/{other_clip.id}/moments/{moment.id}/audience"
    assert coach.post(url, data={"audience": "circle"}).status_code == 404
    assert coach.get(url).status_code == 404
    db.session.expire_all()
    assert db.session.get(Moment, moment.id).audience is Audience.TEAM


# --- the service directly -----------------------------------------------------------------------


def test_the_service_refuses_the_circle_for_uncleared_others(app_ctx, signed, make_clip):
    clip = make_clip(signed.child, signed.teacher, audience=Audience.TEAM, shows_others=True)
    clip = db.session.get(Clip, clip.id)
    before = db.session.scalar(select(func.count()).select_from(AuditEvent))
    with pytest.raises(RefusedError):
        sharing.set_clip_audience(
            db.session, clip, Audience.CIRCLE, seat=policy.seat_for(signed.coach, signed.child)
        )
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == before


def test_the_services_refuse_with_domain_errors_not_http_ones(app_ctx, signed, make_clip):
    """Called from a job or the CLI, a refusal is an error of the domain; the web layer alone
    turns it into 403 (``app.core.web``)."""
    clip = make_clip(signed.child, signed.teacher, audience=Audience.TEAM, shows_others=True)
    clip = db.session.get(Clip, clip.id)
    with pytest.raises(ForbiddenError):  # the policy: only who may edit clips (a coach)
        sharing.confirm_others_cleared(
            db.session, clip, seat=policy.seat_for(signed.teacher, signed.child)
        )
    with pytest.raises(ForbiddenError):
        sharing.mark_shows_others(
            db.session, clip, seat=policy.seat_for(signed.parent, signed.child)
        )
    with pytest.raises(ForbiddenError):  # a teacher does not widen to the circle
        sharing.set_clip_audience(
            db.session, clip, Audience.CIRCLE, seat=policy.seat_for(signed.teacher, signed.child)
        )
    sharing.confirm_others_cleared(
        db.session, clip, seat=policy.seat_for(signed.coach, signed.child)
    )
    assert clip.others_cleared_at is not None


# --- the audience matrix through the page, every role, own upload or someone else's ----------

ACTORS = ("coach", "teacher", "specialist", "parent", "pupil")


def cast(circle, make_user, app, actor: str) -> dict[str, object]:
    """The actor and who uploaded each kind of clip ("own", "school", "home") for them. For
    the pupil the child is seventeen and the pupil, who decides from sixteen, has signed."""
    people = {
        "coach": circle.coach,
        "teacher": circle.teacher,
        "specialist": circle.specialist,
        "parent": circle.parent,
    }
    if actor == "pupil":
        people["pupil"] = pupil_of_sixteen(circle.child, make_user)
        sign_consent(app, circle.child, people["pupil"])
    me = people[actor]
    return {
        "me": me,
        "own": me,
        "school": circle.specialist if actor == "teacher" else circle.teacher,
        "home": circle.parent2,
    }


@pytest.mark.parametrize("actor", ACTORS)
def test_who_may_set_which_audience_of_a_clip(app, login_as, signed, make_clip, make_user, actor):
    who = cast(signed, make_user, app, actor)
    client = fresh(app, login_as, who["me"])
    wrong = []
    for upload in ("own", "school", "home"):
        source = Source.HOME if upload == "home" or actor in ("parent", "pupil") else Source.SCHOOL
        for now in Audience:
            for new in Audience:
                clip = make_clip(signed.child, who[upload], source=source, audience=now)
                if not sees(actor, now, upload == "own"):
                    want = 404
                elif new in SETS.get((actor, upload, now.value), frozenset()):
                    want = 302
                else:
                    want = 403
                got = post_audience(client, clip, new.value).status_code
                after = audience_of(clip.id)
                if got != want or after is not (new if want == 302 else now):
                    wrong.append(f"{upload} {now}→{new}: expected {want}, got {got} ({after})")
    assert wrong == []


@pytest.mark.parametrize("actor", ACTORS)
def test_who_may_set_which_audience_of_a_moment(app, login_as, signed, make_clip, make_user, actor):
    who = cast(signed, make_user, app, actor)
    client = fresh(app, login_as, who["me"])
    clip = make_clip(signed.child, signed.coach, audience=Audience.CIRCLE)
    wrong = []
    for upload in ("own", "school"):
        for now in Audience:
            for new in Audience:
                moment = add_moment(clip, who[upload], now)
                if actor in ("parent", "pupil"):
                    want = 403  # marking and sharing moments is the school side's work
                elif not sees(actor, now, upload == "own"):
                    want = 404
                elif new in SETS.get((actor, upload, now.value), frozenset()):
                    want = 302
                else:
                    want = 403
                got = client.post(moment_url(moment), data={"audience": new.value}).status_code
                db.session.expire_all()
                after = db.session.get(Moment, moment.id).audience
                if got != want or after is not (new if want == 302 else now):
                    wrong.append(f"{upload} {now}→{new}: expected {want}, got {got} ({after})")
    assert wrong == []


# --- a recording's fragments show the same people ---------------------------------------------


def test_marking_a_recording_narrows_its_fragments_and_confirming_covers_them(
    app, login_as, signed, make_clip
):
    recording = make_clip(signed.child, signed.teacher, audience=Audience.TEAM)
    shared = make_clip(
        signed.child, signed.coach, parent=recording, start_s=1.0, end_s=4.0,
        audience=Audience.CIRCLE,
    )  # fmt: skip
    assert parent_sees(app, login_as, signed, shared)
    coach = fresh(app, login_as, signed.coach)
    base = f"/children/{signed.child.id}/clips/{recording.id}"
    assert coach.post(f"{base}/shows-others").status_code == 302
    db.session.expire_all()
    fragment = db.session.get(Clip, shared.id)
    assert fragment.shows_others and fragment.audience is Audience.TEAM
    assert not parent_sees(app, login_as, signed, shared)

    assert coach.post(f"{base}/others-cleared").status_code == 302
    db.session.expire_all()
    assert db.session.get(Clip, shared.id).others_cleared_at is not None
    assert db.session.get(Clip, shared.id).audience is Audience.TEAM  # confirming is not sharing
    assert post_audience(coach, shared, "circle").status_code == 302
    assert parent_sees(app, login_as, signed, shared)


def test_confirming_a_fragment_leaves_its_recording_as_it_was(app, login_as, signed, make_clip):
    recording = make_clip(signed.child, signed.teacher, shows_others=True)
    fragment = make_clip(
        signed.child, signed.coach, parent=recording, start_s=1.0, end_s=4.0, shows_others=True
    )
    coach = fresh(app, login_as, signed.coach)
    url = f"/children/{signed.child.id}/clips/{fragment.id}/others-cleared"
    assert coach.post(url).status_code == 302
    db.session.expire_all()
    assert db.session.get(Clip, fragment.id).others_cleared_at is not None
    assert db.session.get(Clip, recording.id).others_cleared_at is None
    assert post_audience(coach, recording, "circle").status_code == 200  # still refused
    assert audience_of(recording.id) is Audience.TEAM


def test_the_moments_audience_page_says_which_moment_also_without_a_note(
    app, login_as, signed, make_clip
):
    clip = make_clip(signed.child, signed.coach, audience=Audience.CIRCLE)
    moment = add_moment(clip, signed.coach, Audience.TEAM)
    moment.text, moment.start_s = "", 4.5
    db.session.commit()
    coach = fresh(app, login_as, signed.coach)
    html = coach.get(moment_url(moment) + "?lang=en").get_data(as_text=True)
    assert "Kring in de ochtend · 0:04.5 · Moment of success" in html
