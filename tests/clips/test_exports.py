"""The moments of a clip as CSV and WebVTT: only what the person may see, read back with real
parsers, formula cells neutralised, a safe download name, and every export logged."""

from __future__ import annotations

import csv
import io

import pytest
import webvtt
from sqlalchemy import func, select

from app.circle.audience import Audience
from app.clips.models import Tag
from app.core.audit import AuditEvent
from app.core.db import db
from tests.support.player import add


def export(client, clip, kind):
    return client.post(f"/children/{clip.child_id}/clips/{clip.id}/moments.{kind}")


def read_csv(response):
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")  # spreadsheet programs read it as UTF-8
    return list(csv.reader(io.StringIO(text[1:])))


def read_vtt(response):
    return webvtt.from_buffer(io.StringIO(response.get_data(as_text=True)))


def moments_of(clip, circle):
    add(clip, circle.coach, 4.25, tag=Tag.NEED, text="Wil zelf kiezen", audience=Audience.CIRCLE)
    add(
        clip,
        circle.teacher,
        1,
        end=2.5,
        tag=Tag.SUCCESS,
        text="Kijkt op",
        audience=Audience.TEAM,
    )
    add(clip, circle.coach, 3, tag=Tag.GUIDING, text="Alleen coach", audience=Audience.PRIVATE)


@pytest.mark.usefixtures("consent_one_parent_in_english")
def test_the_csv_has_a_header_and_the_moments_one_sees(client, login_as, circle, make_clip):
    clip = make_clip(circle.child, circle.coach, title="Kring: maandag / groep 4")
    moments_of(clip, circle)
    login_as(circle.teacher)
    response = export(client, clip, "csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == (
        f"attachment; filename=moments-kring-maandag-groep-4-{clip.id}.csv"
    )
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert read_csv(response) == [
        ["Tag", "Start", "End", "Note", "Author"],
        ["Moment of success", "00:00:01.000", "00:00:02.500", "Kijkt op", "Juf Tamara"],
        [
            "Need: what does the child need here?",
            "00:00:04.250",
            "",
            "Wil zelf kiezen",
            "Coach Carla",
        ],
    ]


@pytest.mark.usefixtures("consent_one_parent_in_english")
def test_the_webvtt_parses_back_with_a_cue_per_moment(client, login_as, circle, make_clip):
    clip = make_clip(circle.child, circle.coach)
    moments_of(clip, circle)
    login_as(circle.coach)
    response = export(client, clip, "vtt")
    assert response.status_code == 200
    assert response.mimetype == "text/vtt"
    assert response.headers["Content-Disposition"].endswith(f"-{clip.id}.vtt")
    cues = [(c.start, c.end, c.text) for c in read_vtt(response)]
    assert cues == [
        ("00:00:01.000", "00:00:02.500", "Moment of success\nKijkt op"),
        ("00:00:03.000", "00:00:06.000", "Guiding\nAlleen coach"),  # no end: 4 s, within the clip
        ("00:00:04.250", "00:00:06.000", "Need: what does the child need here?\nWil zelf kiezen"),
    ]


@pytest.mark.usefixtures("consent_one_parent_in_english")
def test_a_parent_exports_only_circle_moments(client, login_as, circle, make_clip):
    clip = make_clip(circle.child, circle.coach, audience=Audience.CIRCLE)
    moments_of(clip, circle)
    login_as(circle.parent)
    rows = read_csv(export(client, clip, "csv"))
    assert [row[3] for row in rows[1:]] == ["Wil zelf kiezen"]
    assert [c.text for c in read_vtt(export(client, clip, "vtt"))] == [
        "Need: what does the child need here?\nWil zelf kiezen"
    ]


@pytest.mark.usefixtures("consent_one_parent_in_english")
def test_cells_a_spreadsheet_would_run_are_neutralised(client, login_as, circle, make_clip):
    clip = make_clip(circle.child, circle.coach)
    for n, text in enumerate(['=HYPERLINK("http://x")', "+1", "-2+3", "@SUM(A1)", "gewoon"]):
        add(clip, circle.coach, n, text=text)
    login_as(circle.coach)
    notes = [row[3] for row in read_csv(export(client, clip, "csv"))[1:]]
    assert notes == ['\'=HYPERLINK("http://x")', "'+1", "'-2+3", "'@SUM(A1)", "gewoon"]


@pytest.mark.usefixtures("consent_one_parent_in_english")
def test_a_note_cannot_break_the_webvtt(client, login_as, circle, make_clip):
    clip = make_clip(circle.child, circle.coach)
    add(clip, circle.coach, 1, text="eerst\n\n00:00:02.000 --> 00:00:03.000\n<b>vet</b> & zo")
    login_as(circle.coach)
    (cue,) = read_vtt(export(client, clip, "vtt"))
    assert cue.raw_text == (
        "Being attentive\neerst\n00:00:02.000 --&gt; 00:00:03.000\n&lt;b&gt;vet&lt;/b&gt; &amp; zo"
    )


@pytest.mark.usefixtures("consent_one_parent_in_english")
def test_an_export_is_logged_and_asks_for_a_post(client, login_as, circle, make_clip):
    clip = make_clip(circle.child, circle.coach)
    login_as(circle.coach)
    export(client, clip, "csv")
    assert (
        db.session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action == "moments_exported", AuditEvent.object_id == clip.id)
        )
        == 1
    )
    assert client.get(f"/children/{clip.child_id}/clips/{clip.id}/moments.csv").status_code == 405


@pytest.mark.usefixtures("consent_one_parent_in_english")
def test_another_childs_clip_or_one_outside_the_audience_is_not_found(
    client, login_as, circle, make_clip, make_child
):
    theirs = make_clip(make_child("Ander Kind", coach=circle.coach), circle.coach)
    team_only = make_clip(circle.child, circle.coach, audience=Audience.TEAM)
    login_as(circle.parent)
    assert (
        client.post(f"/children/{circle.child.id}/clips/{theirs.id}/moments.csv").status_code == 404
    )
    assert export(client, team_only, "vtt").status_code == 404
