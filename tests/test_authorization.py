"""The authorization matrix, generated from ``app.url_map`` (SECURITY C.10, C.11, E.23).

Every route is requested by every kind of visitor; the expected answer follows from the rule
the route declared in ``app.circle.policy``. A route without a rule fails here, and so does a
route whose parameters this file cannot fill in: adding a route means deciding who may use it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from flask import url_for
from sqlalchemy import func, select
from werkzeug.routing.converters import NumberConverter

from app.children.export.models import ChildExport, ExportState
from app.circle import policy, routes
from app.circle.audience import Audience
from app.circle.models import Child, Invitation, Membership, Role, User
from app.circle.routes import Scope
from app.clips.models import Clip, Moment, MomentTag, Source, Tag, Upload
from app.core import resumable
from app.core.db import Base, db, utcnow
from app.core.urls import IdConverter
from app.meetings.models import AgendaItem, MeetingInvitee
from app.meetings.models_followup import Agreement, Party
from tests.support.audience import sees
from tests.support.circle import pupil_of_sixteen
from tests.support.consent import sign_consent
from tests.support.meetings import plan
from tests.support.plans import sent_plan

#: The only endpoints anyone may use without signing in. Changing this is a deliberate act.
PUBLIC = {
    "static",
    "auth.sign_in",
    "auth.sign_out",
    "auth.forgot_password",
    "auth.reset",
    "auth.second_step",  # the code after the password: the page itself asks who is waiting
    # A passkey: the second step, confirming it is you, or the whole sign-in (where allowed).
    "auth.passkey_options",
    "auth.passkey_verify",
    "auth.set_language",
    "people.accept",
    "health.worker",
}

A = policy.Action
#: Every non-public endpoint and the rule it must declare.
RULES = {
    "children.index": (Scope.SIGNED_IN, None),
    "auth.account": (Scope.SIGNED_IN, None),
    "auth.security": (Scope.SIGNED_IN, None),
    "auth.authenticator_start": (Scope.SIGNED_IN, None),
    "auth.authenticator_confirm": (Scope.SIGNED_IN, None),
    "auth.authenticator_remove": (Scope.SIGNED_IN, None),
    "auth.recovery_codes": (Scope.SIGNED_IN, None),
    "auth.confirm_factor": (Scope.SIGNED_IN, None),
    "auth.passkey_register_options": (Scope.SIGNED_IN, None),
    "auth.passkey_register": (Scope.SIGNED_IN, None),
    "auth.passkey_rename": (Scope.SIGNED_IN, None),
    "auth.passkey_remove": (Scope.SIGNED_IN, None),
    "people.open_trajectory": (Scope.STAFF, None),
    "admin.index": (Scope.ADMIN, None),
    "admin.new_staff": (Scope.ADMIN, None),
    "admin.deactivate": (Scope.ADMIN, None),
    "admin.reactivate": (Scope.ADMIN, None),
    "admin.resend": (Scope.ADMIN, None),
    "admin.unlock": (Scope.ADMIN, None),
    "admin.security": (Scope.ADMIN, None),
    "admin.reset_second_factor": (Scope.ADMIN, None),
    # Erasing a child: an admin of the child's own school (policy.may_erase_child); another
    # school's admin is walked in tests/admin/test_erasure.py.
    "children.erase_child": (Scope.ADMIN, None),
    "children.erase_child_confirm": (Scope.ADMIN, None),
    "children.show": (Scope.CHILD, A.VIEW_CHILD),
    # Everyone in the circle; each feature's events are filtered for the visitor.
    "children.timeline": (Scope.CHILD, A.VIEW_CHILD),
    "people.edit_child": (Scope.CHILD, A.EDIT_CHILD),
    "people.invite": (Scope.CHILD, A.INVITE),
    "people.remove_member": (Scope.CHILD, A.MANAGE_CIRCLE),
    "people.withdraw_invitation": (Scope.CHILD, A.MANAGE_CIRCLE),
    "consent.overview": (Scope.CHILD, A.VIEW_CONSENT),
    "consent.sign": (Scope.CHILD, A.SIGN_CONSENT),
    "consent.withdraw": (Scope.CHILD, A.SIGN_CONSENT),
    "consent.request_consent": (Scope.CHILD, A.REQUEST_CONSENT),
    "consent.record_pdf": (Scope.CHILD, A.VIEW_CONSENT),
    "consent.templates": (Scope.ADMIN, None),
    "consent.start_draft": (Scope.ADMIN, None),
    "consent.show_template": (Scope.ADMIN, None),
    "consent.edit_template": (Scope.ADMIN, None),
    "consent.publish_template": (Scope.ADMIN, None),
    "documents.verify": (Scope.STAFF, None),
    # Uploading: every member, school side (school recording) or home side (home recording).
    "clips.upload_page": (Scope.CHILD, A.VIEW_CLIPS),
    "clips.tus_create": (Scope.CHILD, A.VIEW_CLIPS),
    "clips.tus_upload": (Scope.CHILD, A.VIEW_CLIPS),
    "clips.index": (Scope.CHILD, A.VIEW_CLIPS),
    # Whoever sees the clip reaches the page; who may choose what is the service's rule.
    "clips.audience": (Scope.CHILD, A.VIEW_CLIPS),
    "clips.moment_audience": (Scope.CHILD, A.ADD_MOMENT),
    "clips.others_cleared": (Scope.CHILD, A.EDIT_CLIP),
    "clips.shows_others": (Scope.CHILD, A.EDIT_CLIP),
    "clips.status": (Scope.CHILD, A.VIEW_CLIPS),
    "clips.retry": (Scope.CHILD, A.EDIT_CLIP),
    "clips.show": (Scope.CHILD, A.VIEW_CLIPS),
    "clips.add_moment": (Scope.CHILD, A.ADD_MOMENT),
    "clips.delete_moment": (Scope.CHILD, A.ADD_MOMENT),
    "clips.cut_fragment": (Scope.CHILD, A.EDIT_CLIP),
    "clips.moments_csv": (Scope.CHILD, A.VIEW_CLIPS),
    "clips.moments_vtt": (Scope.CHILD, A.VIEW_CLIPS),
    "clips.moment_tags": (Scope.ADMIN, None),
    "clips.remove_moment_tag": (Scope.ADMIN, None),
    "clips.video": (Scope.CHILD, A.VIEW_CLIPS),
    "clips.poster": (Scope.CHILD, A.VIEW_CLIPS),
    "clips.watched": (Scope.CHILD, A.VIEW_WATCHERS),
    "meetings.index": (Scope.CHILD, A.VIEW_MEETINGS),
    "meetings.new": (Scope.CHILD, A.PLAN_MEETING),
    "meetings.show": (Scope.CHILD, A.VIEW_MEETINGS),
    "meetings.calendar_file": (Scope.CHILD, A.VIEW_MEETINGS),
    "meetings.edit": (Scope.CHILD, A.PLAN_MEETING),
    "meetings.cancel": (Scope.CHILD, A.PLAN_MEETING),
    "meetings.prepare": (Scope.CHILD, A.PLAN_MEETING),
    "meetings.add_item": (Scope.CHILD, A.PLAN_MEETING),
    "meetings.edit_item": (Scope.CHILD, A.PLAN_MEETING),
    "meetings.move_item": (Scope.CHILD, A.PLAN_MEETING),
    "meetings.remove_item": (Scope.CHILD, A.PLAN_MEETING),
    # Every member's role may bring a question; the meeting decides whether they are invited.
    "meetings.contribute": (Scope.CHILD, A.CONTRIBUTE_TO_MEETING),
    "meetings.add_agreement": (Scope.CHILD, A.PLAN_MEETING),
    "meetings.remove_agreement": (Scope.CHILD, A.PLAN_MEETING),
    "meetings.review_agreement": (Scope.CHILD, A.PLAN_MEETING),
    "meetings.agreement_list": (Scope.CHILD, A.VIEW_MEETINGS),
    "meetings.agreement": (Scope.CHILD, A.VIEW_MEETINGS),
    "meetings.finalise": (Scope.CHILD, A.PLAN_MEETING),
    "meetings.addendum": (Scope.CHILD, A.PLAN_MEETING),
    "meetings.summary_page": (Scope.CHILD, A.VIEW_MEETINGS),
    "meetings.summary_pdf": (Scope.CHILD, A.VIEW_MEETINGS),
    "meetings.acknowledge": (Scope.CHILD, A.ACKNOWLEDGE_SUMMARY),
    # Meeting mode: the school side only (policy.may_run_meeting says why).
    "meetings.mode": (Scope.CHILD, A.RUN_MEETING),
    "meetings.mode_item": (Scope.CHILD, A.RUN_MEETING),
    "meetings.mode_agreements": (Scope.CHILD, A.RUN_MEETING),
    "meetings.save_notes": (Scope.CHILD, A.RUN_MEETING),
    "meetings.attendance": (Scope.CHILD, A.RUN_MEETING),
    # Agreements in meeting mode: the same rule as on the meeting's page.
    "meetings.mode_add_agreement": (Scope.CHILD, A.PLAN_MEETING),
    "meetings.mode_review_agreement": (Scope.CHILD, A.PLAN_MEETING),
    "meetings.mode_remove_agreement": (Scope.CHILD, A.PLAN_MEETING),
    # A child's export: coach, parents, pupil; each export is its requester's alone.
    "children.export_page": (Scope.CHILD, A.EXPORT_CHILD),
    "children.request_export": (Scope.CHILD, A.EXPORT_CHILD),
    "children.export_status": (Scope.CHILD, A.EXPORT_CHILD),
    "children.download_export": (Scope.CHILD, A.EXPORT_CHILD),
    "plans.show": (Scope.CHILD, A.VIEW_PLAN),
    "plans.version": (Scope.CHILD, A.VIEW_PLAN),
    "plans.compare": (Scope.CHILD, A.VIEW_PLAN),
    "plans.write_view": (Scope.CHILD, A.WRITE_PLAN_VIEW),
    "plans.start_draft": (Scope.CHILD, A.EDIT_PLAN),
    "plans.edit": (Scope.CHILD, A.EDIT_PLAN),
    "plans.add_item": (Scope.CHILD, A.EDIT_PLAN),
    "plans.edit_item": (Scope.CHILD, A.EDIT_PLAN),
    "plans.remove_item": (Scope.CHILD, A.EDIT_PLAN),
    "plans.send": (Scope.CHILD, A.EDIT_PLAN),
    "plans.adopt": (Scope.CHILD, A.EDIT_PLAN),
    "plans.answer": (Scope.CHILD, A.SIGN_PLAN),
    "plans.version_pdf": (Scope.CHILD, A.VIEW_PLAN),
}

#: Routes whose object narrows the rule further: who (besides outsiders) gets through. The
#: consent record in the walk was signed by the parent; the coach sees every record, the pupil
#: only their own.
OBJECT_RULES = {
    "consent.record_pdf": {"coach", "parent"},
    # The walk's moment is the coach's: its author deletes it, and a coach any.
    "clips.delete_moment": {"coach"},
    # The walk's meeting invites the coach, the teacher, the parent and the pupil: the
    # specialist sees it (school side) but was not invited, so brings nothing to it.
    "meetings.contribute": {"coach", "teacher", "parent", "pupil"},
}

#: GET routes that write an audit row and nothing else. The first request of a playback is
#: itself the sensitive act DESIGN rule 6 logs ("every clip playback start"); an audit row is
#: a record of the visit, not user data, so only these tables may grow on that one route.
AUDITED_GETS = {
    "clips.video": {"audit_events", "audit_chain", "audit_personal"},
    # A summary's download is logged, as every issued document's (DESIGN rule 6).
    "meetings.summary_pdf": {"audit_events", "audit_chain", "audit_personal"},
    "plans.version_pdf": {"audit_events", "audit_chain", "audit_personal"},
}

#: Who may do what in a child's circle, written out: coach, teacher, specialist, parent, pupil.
POLICY = {
    A.VIEW_CHILD: "C T S P U",
    A.EDIT_CHILD: "C",
    A.INVITE: "C",
    A.MANAGE_CIRCLE: "C",
    A.VIEW_CONSENT: "C T S P U",
    A.SIGN_CONSENT: "P U",
    A.REQUEST_CONSENT: "C",
    A.VIEW_ALL_CONSENT_RECORDS: "C",
    A.VIEW_CLIPS: "C T S P U",
    A.UPLOAD_SCHOOL_RECORDING: "C T S",
    A.UPLOAD_HOME_RECORDING: "P U",
    A.ADD_MOMENT: "C T S",
    A.EDIT_CLIP: "C",
    A.VIEW_WATCHERS: "C P U",
    A.VIEW_MEETINGS: "C T S P U",
    A.PLAN_MEETING: "C",
    A.CONTRIBUTE_TO_MEETING: "C T S P U",
    A.VIEW_PREP_NOTES: "C T S",
    A.ACKNOWLEDGE_SUMMARY: "P U",
    A.RUN_MEETING: "C T S",
    A.EXPORT_CHILD: "C P U",
    A.VIEW_PLAN: "C T S P U",
    A.EDIT_PLAN: "C",
    A.WRITE_PLAN_VIEW: "P",
    A.SIGN_PLAN: "P U",
}
LETTER = {
    "C": Role.COACH,
    "T": Role.TEACHER,
    "S": Role.SPECIALIST,
    "P": Role.PARENT,
    "U": Role.PUPIL,
}

#: "pupil" visits a circle whose child is sixteen or older; "removed" was a parent until
#: yesterday.
VISITORS = ["anonymous", "coach", "teacher", "specialist", "parent", "pupil"]
VISITORS += ["school_admin", "outsider", "removed"]
ROLE_OF = {
    "coach": Role.COACH,
    "teacher": Role.TEACHER,
    "specialist": Role.SPECIALIST,
    "parent": Role.PARENT,
    "pupil": Role.PUPIL,
}
STAFF = {"coach", "teacher", "school_admin", "outsider"}


@dataclass(frozen=True)
class Route:
    endpoint: str
    method: str
    arguments: frozenset[str]


def all_routes(app) -> list[Route]:
    routes = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            routes.append(Route(rule.endpoint, method, frozenset(rule.arguments)))
    return routes


def test_every_route_declares_an_access_rule(app):
    with app.test_request_context():
        missing = [r.endpoint for r in all_routes(app) if routes.rule_for(r.endpoint) is None]
    assert missing == []


def test_only_the_listed_endpoints_are_public(app):
    with app.test_request_context():
        public = {
            rule.endpoint
            for rule in app.url_map.iter_rules()
            if routes.rule_for(rule.endpoint).scope is Scope.PUBLIC
        }
    assert public == PUBLIC


def test_every_endpoint_declares_the_agreed_rule(app):
    with app.test_request_context():
        declared = {
            rule.endpoint: (
                routes.rule_for(rule.endpoint).scope,
                routes.rule_for(rule.endpoint).action,
            )
            for rule in app.url_map.iter_rules()
            if rule.endpoint not in PUBLIC
        }
    assert declared == RULES


def test_the_policy_table_is_the_agreed_one():
    written = {
        action: frozenset(LETTER[x] for x in roles.split()) for action, roles in POLICY.items()
    }
    assert written == policy.POLICY


def expected(route: Route, visitor: str, *, objects: bool = True) -> str:
    """'ok' (< 400), 'sign_in' (redirect to sign in), 'forbidden' (403) or 'not_found' (404).

    ``objects=False`` leaves out OBJECT_RULES: the answer of the route's rule alone."""
    rule = routes.rule_for(route.endpoint)
    assert rule is not None
    if rule.scope is Scope.PUBLIC:
        return "public"
    if visitor == "anonymous":
        return "sign_in"
    if rule.scope is Scope.SIGNED_IN:
        return "ok"
    if rule.scope is Scope.STAFF:
        return "ok" if visitor in STAFF else "forbidden"
    if rule.scope is Scope.ADMIN:
        return "ok" if visitor == "school_admin" else "forbidden"
    assert rule.scope is Scope.CHILD and rule.action is not None
    role = ROLE_OF.get(visitor)
    if role is None:
        return "not_found"
    if not policy.role_allows(role, rule.action):
        return "forbidden"
    if objects and route.endpoint in OBJECT_RULES:
        return "ok" if visitor in OBJECT_RULES[route.endpoint] else "forbidden"
    return "ok"


def outcome(response: Any) -> str:
    """The authorization outcome; any other answer below 500 got past the check (an empty
    POST may well be refused as bad input: 400, 409)."""
    if response.status_code == 302 and "/sign-in" in response.headers.get("Location", ""):
        return "sign_in"
    if response.status_code == 403:
        return "forbidden"
    if response.status_code == 404:
        return "not_found"
    if response.status_code < 500:
        return "ok"
    return f"status {response.status_code}"


def row_counts() -> dict[str, int]:
    return {
        table.name: db.session.scalar(select(func.count()).select_from(table))
        for table in Base.metadata.sorted_tables
    }


@dataclass(frozen=True)
class Footage:
    """Makes the clips, fragments and moments of the walk with the clip fixtures."""

    make_clip: Callable[..., Clip]

    def clip(self, child_id: int, uploader_id: int, audience: Audience, **values: Any) -> Clip:
        child = db.session.get(Child, child_id)
        uploader = db.session.get(User, uploader_id)
        return self.make_clip(child, uploader, audience=audience, **values)

    def moment(self, clip: Clip, author_id: int, audience: Audience) -> Moment:
        moment = Moment(
            child_id=clip.child_id,
            clip_id=clip.id,
            author_id=author_id,
            start_s=1.5,
            tag=Tag.SUCCESS,
            text="Sem steekt zijn vinger op",
            audience=audience,
        )
        db.session.add(moment)
        db.session.commit()
        return moment


@pytest.fixture
def footage(make_clip) -> Footage:
    return Footage(make_clip)


#: Who the world's upload belongs to, for each visitor: their own, when they may upload (an
#: upload is only ever reached by its uploader); the coach's for everyone else.
UPLOAD_SOURCE = {"parent": Source.HOME, "pupil": Source.HOME}


def an_upload(app, child: Child, uploader: User, source: Source) -> Upload:
    """An upload still arriving: a row and its partial file, as the tus creation leaves them."""
    with app.app_context():  # the media folder is the app's
        partial = resumable.create_partial(4096)
    row = Upload(
        upload_id=partial.upload_id,
        child_id=child.id,
        uploader_id=uploader.id,
        source=source,
        length=4096,
        filename="kring.mp4",
        title="Kring",
        audience=Audience.TEAM,
        expires_at=utcnow() + timedelta(days=1),
    )
    db.session.add(row)
    db.session.commit()
    return row


@pytest.fixture
def world(app, circle, make_user, make_child, school, visitor, footage):
    """The circle under test, plus a school admin, the coach of another child and a parent
    removed from the circle; for the pupil's visit the child is sixteen or older (and has
    signed: from sixteen the pupil's consent is the one that counts). Footage: a clip, a
    fragment of it, a moment and an upload still arriving; a school label for moments."""
    admin = make_user("Beheerder Bea", admin=True)
    outsider = make_user("Andere Coach", staff=True)
    make_child("Ander Kind", coach=outsider)
    removed = make_user("Oud-ouder Otto")
    yesterday = utcnow() - timedelta(days=1)
    db.session.add(
        Membership(
            child_id=circle.child.id,
            user_id=removed.id,
            role=Role.PARENT,
            active_from=yesterday - timedelta(days=30),
            active_until=yesterday,
        )
    )
    invitation = Invitation(
        child_id=circle.child.id,
        email="open@example.nl",
        name="Open Uitnodiging",
        role=Role.PARENT,
        token_hash="f" * 64,
        expires_at=_later(),
    )
    db.session.add(invitation)
    db.session.commit()
    membership_id = db.session.scalar(
        select(policy.Membership.id).where(
            policy.Membership.child_id == circle.child.id,
            policy.Membership.user_id == circle.parent2.id,
        )
    )
    people = {
        "coach": circle.coach,
        "teacher": circle.teacher,
        "specialist": circle.specialist,
        "parent": circle.parent,
        "school_admin": admin,
        "outsider": outsider,
        "removed": removed,
    }
    record = sign_consent(app, circle.child, circle.parent)
    if visitor == "pupil":
        people["pupil"] = pupil_of_sixteen(circle.child, make_user)
        sign_consent(app, circle.child, people["pupil"])
    tag = MomentTag(school_id=school.id, label="Eigen label")
    db.session.add(tag)
    db.session.commit()
    uploader = people.get(visitor) if visitor in ROLE_OF else circle.coach
    upload = an_upload(app, circle.child, uploader, UPLOAD_SOURCE.get(visitor, Source.SCHOOL))
    # The visitor's own export when their role may export (an export is its requester's
    # alone; someone else's answers 404, tests/children/test_export.py), else the coach's.
    exporter = people.get(visitor) if visitor in ("coach", "parent", "pupil") else circle.coach
    export = an_export(circle.child, exporter)
    values = {
        "child_id": circle.child.id,
        "membership_id": membership_id,
        "invitation_id": invitation.id,
        "user_id": circle.teacher.id,
        "record_id": record.id,
        "template_id": record.template_id,
        "tag_id": tag.id,
        "upload_id": upload.upload_id,
        "export_id": export.id,
    }
    for route in AUDIENCE_ROUTES:
        # In the matrix the object is the coach's, shown to the whole circle; the audience
        # walk below tries every other audience and uploader.
        values.update(route.make(footage, circle.child.id, circle.coach.id, Audience.CIRCLE))
    # A meeting with an item on its agenda; the meeting walk below tries invited and not.
    invited = [circle.coach, circle.teacher, circle.parent] + [people.get("pupil")] * (
        "pupil" in people
    )
    values.update(a_meeting(app, footage, circle, invited))
    values.update(a_sent_plan(app, circle))
    return people, values


def an_export(child: Child, requester: User) -> ChildExport:
    """An export asked for and not yet built (nothing to download)."""
    export = ChildExport(
        child_id=child.id,
        requester_id=requester.id,
        state=ExportState.QUEUED,
        progress=0,
        language="nl",
        expires_at=utcnow() + timedelta(days=1),
    )
    db.session.add(export)
    db.session.commit()
    return export


def a_sent_plan(app, circle) -> dict[str, int]:
    """A version of the plan sent to the parents, with one goal: every role that may read
    the plan sees it; the coach's changes to it are refused (409), never a 500."""
    version, item = sent_plan(app, circle.child, circle.coach)
    return {"plan_version_id": version.id, "plan_item_id": item.id}


def a_meeting(app, footage: Footage, circle, invited: list[User]) -> dict[str, int]:
    """A planned meeting about the circle's child with ``invited``, and one agenda item."""
    meeting = plan(app, circle.child, circle.coach, invited)
    clip = footage.clip(circle.child.id, circle.coach.id, Audience.CIRCLE, title="Agenda")
    item = AgendaItem(meeting_id=meeting.id, child_id=circle.child.id, position=1, clip_id=clip.id)
    db.session.add(item)
    agreement = Agreement(
        meeting_id=meeting.id,
        child_id=circle.child.id,
        text="Samen lezen",
        party=Party.HOME,
        owner_id=circle.coach.id,
        due_on=meeting.starts_at.date() + timedelta(days=14),
        created_by_id=circle.coach.id,
    )
    db.session.add(agreement)
    db.session.commit()
    return {"meeting_id": meeting.id, "item_id": item.id, "agreement_id": agreement.id}


def _later():
    from datetime import timedelta

    from app.core.db import utcnow

    return utcnow() + timedelta(days=3)


_ID = re.compile(r"""<[^>]*?\sid=["']([^"']+)["']""")


def duplicate_ids(response: Any) -> list[str]:
    """The ids an HTML page gives to more than one element (a label then names, and focuses,
    only the first)."""
    if response.mimetype != "text/html":
        return []
    found = _ID.findall(response.get_data(as_text=True))
    return sorted({i for i in found if found.count(i) > 1})


@pytest.mark.parametrize("visitor", VISITORS)
def test_authorization_matrix(app, client, login_as, world, db_connection, visitor):
    people, values = world
    if visitor != "anonymous":
        login_as(people[visitor])
    with app.test_request_context():
        routes = all_routes(app)
        urls, wants = {}, {}
        for route in routes:
            unknown = route.arguments - values.keys()
            assert not unknown, f"{route.endpoint}: give the test a value for {sorted(unknown)}"
            urls[route] = url_for(route.endpoint, **{k: values[k] for k in route.arguments})
            wants[route] = expected(route, visitor)

    wrong = []
    for route in routes:
        if visitor != "anonymous" and route.endpoint == "auth.sign_out":
            continue  # would end the session the rest of the walk needs
        want = wants[route]
        savepoint = db_connection.begin_nested()
        before = row_counts() if route.method == "GET" else None
        response = client.open(urls[route], method=route.method, data={})
        got = outcome(response)
        if want == "public":
            if response.status_code >= 500 or got == "forbidden":
                wrong.append(f"{route.method} {route.endpoint}: {response.status_code}")
        elif got != want:
            wrong.append(f"{route.method} {route.endpoint}: expected {want}, got {got}")
        twice = duplicate_ids(response)
        if twice:
            wrong.append(f"{route.method} {route.endpoint}: ids used twice {twice}")
        if before is not None:
            audited = AUDITED_GETS.get(route.endpoint, set())
            after = row_counts()
            changed = {t for t in before if before[t] != after[t]} - audited
            if changed:
                wrong.append(f"GET {route.endpoint} changed data: {sorted(changed)}")
        db.session.remove()
        savepoint.rollback()
    assert wrong == []


def test_a_failing_permission_check_denies(app, client, login_as, circle, monkeypatch):
    login_as(circle.coach)

    def broken(*args, **kwargs):
        raise RuntimeError("policy store unavailable")

    monkeypatch.setattr(policy, "role_in_circle", broken)
    monkeypatch.setattr(policy, "_child_and_role", broken)  # the seat's own one query
    response = client.get(f"/children/{circle.child.id}")
    assert response.status_code == 404
    assert circle.child.guiding_question not in response.get_data(as_text=True)


# --- objects with an audience -----------------------------------------------------------------


@dataclass(frozen=True)
class AudienceRoute:
    """A route that shows one object with an audience, and how the walk makes that object."""

    endpoint: str
    #: make(footage, child_id, uploader_id, audience) adds and commits the object and returns
    #: the URL values that name it, e.g. {"clip_id": 7}.
    make: Callable[[Footage, int, int, Audience], dict[str, int]]
    #: How the walk calls it: a route that only takes a POST gets an empty one.
    method: str = "GET"
    #: Seeing the object is not enough: only its uploader (author) or a coach acts on it; any
    #: other visitor who sees it gets 403.
    own_or_coach: bool = False


def a_clip(f: Footage, child_id: int, uploader_id: int, audience: Audience) -> dict[str, int]:
    return {"clip_id": f.clip(child_id, uploader_id, audience).id}


def a_fragment(f: Footage, child_id: int, uploader_id: int, audience: Audience) -> dict[str, int]:
    # Its recording is the coach's and private: the fragment's own audience decides.
    coach = db.session.scalar(
        select(Membership.user_id).where(
            Membership.child_id == child_id, Membership.role == Role.COACH
        )
    )
    recording = f.clip(child_id, coach, Audience.PRIVATE, title="Hele opname")
    fragment = f.clip(child_id, uploader_id, audience, parent=recording, start_s=1.0, end_s=4.0)
    return {"clip_id": fragment.id}


def a_moment(f: Footage, child_id: int, uploader_id: int, audience: Audience) -> dict[str, int]:
    # In a clip everyone sees (the coach's, for the circle): the moment's own audience decides.
    coach = db.session.scalar(
        select(Membership.user_id).where(
            Membership.child_id == child_id, Membership.role == Role.COACH
        )
    )
    clip = f.clip(child_id, coach, Audience.CIRCLE)
    return {"clip_id": clip.id, "moment_id": f.moment(clip, uploader_id, audience).id}


#: Routes that show one object with an audience (a clip, fragment, moment, meeting, plan).
#: Each joins the walk below: every visitor × audience × their own upload or someone else's,
#: expecting exactly what tests/core/test_audience.py writes out for ``may_see``.
AUDIENCE_ROUTES: list[AudienceRoute] = [
    AudienceRoute("clips.show", a_clip),
    AudienceRoute("clips.show", a_fragment),
    AudienceRoute("clips.status", a_clip),
    AudienceRoute("clips.video", a_clip),
    AudienceRoute("clips.video", a_fragment),
    AudienceRoute("clips.poster", a_clip),
    AudienceRoute("clips.audience", a_clip),
    AudienceRoute("clips.others_cleared", a_clip),
    AudienceRoute("clips.shows_others", a_clip, method="POST"),
    AudienceRoute("clips.retry", a_clip, method="POST"),
    AudienceRoute("clips.cut_fragment", a_clip, method="POST"),
    AudienceRoute("clips.add_moment", a_clip, method="POST"),
    AudienceRoute("clips.moments_csv", a_clip, method="POST"),
    AudienceRoute("clips.moments_vtt", a_clip, method="POST"),
    AudienceRoute("clips.moment_audience", a_moment),
    AudienceRoute("clips.delete_moment", a_moment, own_or_coach=True),
]

#: URL parameters that name an object with an audience: a route taking one must join the walk.
AUDIENCE_ARGUMENTS = frozenset({"clip_id", "fragment_id", "moment_id", "meeting_id", "plan_id"})


def test_every_route_to_an_object_with_an_audience_joins_the_walk(app):
    walked = {route.endpoint for route in AUDIENCE_ROUTES} | MEETING_ROUTES
    missing = {
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if set(rule.arguments) & AUDIENCE_ARGUMENTS and rule.endpoint not in walked
    }
    assert missing == set()


@pytest.mark.parametrize("visitor", [v for v in VISITORS if v != "anonymous"])
def test_audience_walk(app, client, login_as, world, circle, footage, visitor):
    people, values = world
    me = people[visitor]
    login_as(me)
    wrong = []
    for route in AUDIENCE_ROUTES:
        with app.test_request_context():
            # The route's own rule first: a role it refuses never reaches the object.
            # The walk makes its own objects: their rule is decided below, not OBJECT_RULES.
            rule_answer = expected(
                Route(route.endpoint, route.method, frozenset()), visitor, objects=False
            )
        for audience in Audience:
            for own in (True, False):
                uploader = me.id if own else circle.parent2.id
                names = route.make(footage, circle.child.id, uploader, audience)
                with app.test_request_context():
                    url = url_for(route.endpoint, **{**values, **names})
                want = rule_answer
                if want == "ok" and not sees(visitor, audience, own):
                    want = "not_found"  # never a hint that it exists
                elif want == "ok" and route.own_or_coach and not own and visitor != "coach":
                    want = "forbidden"
                got = outcome(client.open(url, method=route.method, data={}))
                if got != want:
                    mine = "own" if own else "other"
                    wrong.append(f"{route.endpoint} {audience} {mine}: expected {want}, got {got}")
    assert wrong == []


# --- meetings: who sees which ---------------------------------------------------------------

#: Routes about one meeting. The school side sees every meeting of the child; parents and the
#: pupil see the ones they are invited to (never a hint of the others); only invitees and the
#: coach bring a question to one.
MEETING_ROUTES = {
    "meetings.show",
    "meetings.calendar_file",
    "meetings.edit",
    "meetings.cancel",
    "meetings.prepare",
    "meetings.add_item",
    "meetings.edit_item",
    "meetings.move_item",
    "meetings.remove_item",
    "meetings.contribute",
    "meetings.add_agreement",
    "meetings.remove_agreement",
    "meetings.review_agreement",
    "meetings.finalise",
    "meetings.addendum",
    "meetings.summary_page",
    "meetings.summary_pdf",
    "meetings.acknowledge",
    "meetings.mode",
    "meetings.mode_item",
    "meetings.mode_agreements",
    "meetings.save_notes",
    "meetings.attendance",
    "meetings.mode_add_agreement",
    "meetings.mode_review_agreement",
    "meetings.mode_remove_agreement",
}


@pytest.mark.parametrize("visitor", [v for v in VISITORS if v != "anonymous"])
def test_meeting_walk(app, client, login_as, world, circle, footage, db_connection, visitor):
    people, values = world
    me = people[visitor]
    login_as(me)
    with app.test_request_context():
        routes_ = [r for r in all_routes(app) if r.endpoint in MEETING_ROUTES]
    assert {r.endpoint for r in routes_} == MEETING_ROUTES
    wrong = []
    # Someone outside the circle cannot be invited: their walk is the meeting of others.
    for invited in (True, False) if visitor in ROLE_OF else (False,):
        others = [circle.coach] if visitor == "coach" else [circle.coach, circle.teacher]
        guests = [me, *others] if invited else [p for p in others if p.id != me.id]
        if not invited and visitor == "coach":
            guests = [circle.teacher]  # the coach, not invited, still sees and plans it
        names = a_meeting(app, footage, circle, guests)
        if visitor == "removed":  # invited while still in the circle: the invitation stays
            db.session.add(MeetingInvitee(meeting_id=names["meeting_id"], user_id=me.id))
            db.session.commit()
        for route in routes_:
            with app.test_request_context():
                url = url_for(route.endpoint, **{**values, **names})
                want = expected(route, visitor, objects=False)
            role = ROLE_OF.get(visitor)
            if want == "ok" and not (invited or policy.is_school_side(role)):
                want = "not_found"
            elif want == "ok" and route.endpoint == "meetings.contribute":
                want = "ok" if invited or visitor == "coach" else "forbidden"
            savepoint = db_connection.begin_nested()
            got = outcome(client.open(url, method=route.method, data={}))
            db.session.remove()
            savepoint.rollback()
            if got != want:
                state = "invited" if invited else "not invited"
                wrong.append(f"{route.method} {route.endpoint} {state}: expected {want}, got {got}")


#: Ids no table holds: past SQLite's 64-bit integers (19 digits and more), past PostgreSQL's
#: ``integer``, and zero.
OUT_OF_RANGE = ["9" * 19, "1" + "0" * 30, str(2**31), "0"]


def test_every_id_in_an_address_goes_through_the_one_converter(app):
    numeric = [
        (rule.endpoint, name, type(converter).__name__)
        for rule in app.url_map.iter_rules()
        for name, converter in rule._converters.items()
        if isinstance(converter, NumberConverter)
    ]
    assert numeric
    assert [n for n in numeric if n[2] != IdConverter.__name__] == []


@pytest.mark.parametrize("visitor", ["coach", "parent"])
def test_an_id_out_of_range_is_404_on_every_route(app, client, login_as, world, visitor):
    people, values = world
    login_as(people[visitor])
    cases = []
    with app.test_request_context():
        for rule in app.url_map.iter_rules():
            ids = [n for n, c in rule._converters.items() if isinstance(c, NumberConverter)]
            for name in ids:
                for bad in OUT_OF_RANGE:
                    given = {k: values[k] for k in rule.arguments} | {name: int(bad)}
                    url = url_for(rule.endpoint, **given)
                    for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
                        cases.append((method, url, f"{rule.endpoint}[{name}={bad[:3]}…]"))
    assert cases
    wrong = [
        f"{method} {where}: {status}"
        for method, url, where in cases
        if (status := client.open(url, method=method, data={}).status_code) != 404
    ]
    assert wrong == []


@pytest.mark.parametrize("visitor", ["coach", "parent", "school_admin"])
def test_no_page_repeats_an_id_with_its_forms_tokens(
    app, client, login_as, world, visitor, monkeypatch
):
    # With CSRF protection on, as in production, every form carries its token.
    people, values = world
    login_as(people[visitor])
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    with app.test_request_context():
        urls = [
            url_for(r.endpoint, **{k: values[k] for k in r.arguments})
            for r in all_routes(app)
            if r.method == "GET"
        ]
    pages = 0
    wrong = []
    for url in urls:
        response = client.get(url)
        if response.status_code == 200 and response.mimetype == "text/html":
            pages += 1
            if twice := duplicate_ids(response):
                wrong.append(f"{url}: {twice}")
    assert pages > 5
    assert wrong == []
