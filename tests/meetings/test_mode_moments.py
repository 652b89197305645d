"""Meeting mode's moments, drawn once with holes and filled in (views/mode_moments.py): the
list beside each player and the choices of the cited moment are the HTML the template drew
for each moment, whatever a moment holds (an end, a text to escape, a mark, a label of the
school's own or one removed); and read as plain values, they are the moments the entities
and their rule gave."""

from __future__ import annotations

import re

from flask import render_template_string
from sqlalchemy import select

from app.circle import policy
from app.circle.audience import Audience
from app.clips.models import Moment, MomentTag, Tag
from app.clips.services import picking
from app.clips.services.moments import tag_label
from app.core.db import db, utcnow
from app.core.i18n import gettext as _
from app.core.paging import address_of_items
from app.core.timecode import format_time
from app.meetings.models import AgendaItem, ItemNotes
from app.meetings.services import notes
from app.meetings.services.steps import item_of
from app.meetings.views.mode_moments import MomentTexts, player_of
from app.meetings.views.mode_steps import time_writer
from tests.support.meetings import mode_url

#: The template's rows as they were drawn for each moment, before the holes.
LIST = """{% for m in moments %}
    {% set time, label, start = moment_texts[m.id] %}
    <li class="moment" data-moment data-start="{{ m.start_s }}"{% if m.end_s is not none %} data-end="{{ m.end_s }}"{% endif %}
        data-label="{{ time }} {{ label }}"{% if m.tag == 'need' %} data-mark="mark-need"{% elif m.tag == 'success' %} data-mark="mark-success"{% endif %}>
      <a class="moment-time" href="{{ address }}?t={{ start }}#player" data-jump="{{ m.start_s }}"><span class="visually-hidden">{{ play_from }} </span>{{ time }}</a>
      <span class="tag tag-{{ m.tag or 'own' }}">{{ label }}</span>
      {% if m.text %}<span class="moment-text">{{ m.text }}</span>{% endif %}
    </li>
    {% endfor %}"""  # noqa: E501

OPTIONS = """{%- for c in moment_choices %}<option {% if c.render_kw %}data-cite-player="{{ c.render_kw['data-cite-player'] }}" data-start="{{ c.render_kw['data-start'] }}" {% endif %}{% if c.value == cited %}selected {% endif %}value="{{ c.value }}">{{ c.label }}</option>{% endfor -%}"""  # noqa: E501


def test_the_moments_drawn_once_are_the_rows_the_template_drew(
    app,
    client,
    login_as,
    circle,
    planned,
    agenda,
):
    item = agenda["item"]
    school, home = item.clip, item.pair_clip
    own = MomentTag(school_id=circle.child.school_id, label='Eigen <"label"> & zo')
    db.session.add(own)
    db.session.flush()
    for clip, start, end, tag, custom, text in [
        (school, 4.0, 6.25, Tag.SUCCESS, None, "Lacht 'breed' & <kijkt>"),
        (school, 5.1, None, None, own.id, ""),
        (school, 7.0, 9.0, None, None, "Label weg"),
        (home, 0.5, None, Tag.GUIDING, None, "Wijst {aan}"),
    ]:
        db.session.add(
            Moment(
                child_id=circle.child.id,
                clip_id=clip.id,
                author_id=circle.coach.id,
                start_s=start,
                end_s=end,
                tag=tag,
                custom_tag_id=custom,
                audience=Audience.CIRCLE,
                text=text,
            )
        )
    notes = ItemNotes(
        item_id=item.id,
        meeting_id=planned.id,
        child_id=circle.child.id,
        need="Rust",
        need_moment_id=agenda["home"].id,
    )
    db.session.add(notes)
    db.session.commit()
    login_as(circle.coach)
    for lang in ("", "?lang=en"):
        page = client.get(mode_url(planned, f"/items/{item.id}{lang}")).get_data(as_text=True)
        lists = re.findall(
            r'<ol class="moment-list mode-moments"[^>]*>\n    (.*?)\n  </ol>', page, re.S
        )
        options = re.search(r'<select id="item-\d+-moment"[^>]*>(.*?)</select>', page, re.S)
        with app.test_request_context(f"/{lang}"):
            app.preprocess_request()
            shown = [
                list(
                    db.session.scalars(
                        select(Moment)
                        .where(Moment.clip_id == clip.id, Moment.audience == Audience.CIRCLE)
                        .order_by(Moment.start_s, Moment.id)
                    )
                )
                for clip in (school, home)
            ]
            texts = {
                m.id: MomentTexts(format_time(m.start_s), tag_label(m), f"{m.start_s:g}")
                for listed in shown
                for m in listed
            }
            address = address_of_items("clips.show", "clip_id", child_id=circle.child.id)
            play_from = _("Play from")
            expected = [
                render_template_string(
                    LIST,
                    moments=listed,
                    moment_texts=texts,
                    address=address.format(id=clip.id),
                    play_from=play_from,
                )
                for clip, listed in zip((school, home), shown, strict=True)
            ]
            choices = [("", _("No moment"), None)] + [
                (
                    str(m.id),
                    f"{texts[m.id].time} · {texts[m.id].label} ({m.clip.title})",
                    {
                        "data-cite-player": player_of(item, m.clip_id),
                        "data-start": texts[m.id].start,
                    },
                )
                for listed in shown
                for m in listed
            ]
            drawn_options = render_template_string(
                OPTIONS,
                moment_choices=[
                    dict(zip(("value", "label", "render_kw"), c, strict=True)) for c in choices
                ],
                cited=str(notes.need_moment_id),
            )
        assert lists == expected, lang
        assert options is not None and options.group(1) == drawn_options, lang
        assert "data-end=" in page and "mark-success" in page and "&lt;kijkt&gt;" in page


def test_a_steps_times_are_written_as_format_time_writes_them(app):
    values = [0, 0.04, 0.05, 0.96, 9.95, 59.94, 59.96, 61.25, 599.99, 3599.95, 3600, 3725.5, 7.0]
    for lang in ("nl", "en"):
        with app.test_request_context(f"/?lang={lang}"):
            app.preprocess_request()
            write = time_writer()
            assert [write(v) for v in values] == [format_time(v) for v in values], lang
            assert any("," in write(v) for v in values) is (lang == "nl")


def test_an_items_moments_as_plain_values_are_the_moments_and_rule_of_the_entities(
    app, app_ctx, circle, planned, make_clip
):
    """``notes.moments_for`` (plain values, the item's clips as its step reads them) keeps
    the moments that ``picking.candidate_moments`` loads and ``moment_reaches_parents``
    keeps, with the same values: for clips of each audience, showing others or not, cleared
    or not, parents invited or not, and for every role that runs a meeting."""
    own = MomentTag(school_id=circle.child.school_id, label="Eigen")
    db.session.add(own)
    db.session.flush()
    clips = []
    for audience in (Audience.CIRCLE, Audience.TEAM):
        for shows_others, cleared in ((False, None), (True, None), (True, utcnow())):
            clip = make_clip(circle.child, circle.coach, audience=audience, title=f"{audience}")
            clip.shows_others, clip.others_cleared_at = shows_others, cleared
            clips.append(clip)
    for n, clip in enumerate(clips):
        for audience in Audience:
            db.session.add(
                Moment(
                    child_id=circle.child.id,
                    clip_id=clip.id,
                    author_id=circle.coach.id,
                    start_s=float(n),
                    end_s=n + 0.5 if audience is Audience.TEAM else None,
                    tag=None if audience is Audience.PRIVATE else Tag.NEED,
                    custom_tag_id=own.id if audience is Audience.PRIVATE else None,
                    audience=audience,
                    text=f"{audience} {n}",
                )
            )
    items = [
        AgendaItem(
            meeting_id=planned.id,
            child_id=circle.child.id,
            position=n,
            clip_id=clip.id,
            pair_clip_id=pair.id if pair is not None else None,
        )
        for n, (clip, pair) in enumerate(zip(clips, [*clips[1:], None], strict=True))
    ]
    db.session.add_all(items)
    db.session.commit()
    for user in (circle.coach, circle.teacher):
        seat = policy.seat_for(user, circle.child)
        for item in items:
            shown, _notes = item_of(db.session, planned, item.id)
            pair = [item.pair_clip] if item.pair_clip is not None else []
            loaded = picking.candidate_moments(db.session, seat, [item.clip, *pair])
            for parents in (False, True):
                got = notes.moments_for(
                    db.session, seat, planned, shown.clip, shown.pair_clip, parents=parents
                )
                expected: dict[int, list[tuple]] = {c.id: [] for c in [item.clip, *pair]}
                for m in loaded:
                    if not parents or picking.moment_reaches_parents(m):
                        own_label = m.custom_tag.label if m.custom_tag else None
                        expected[m.clip_id].append(
                            (m.id, m.clip_id, m.start_s, m.end_s, m.tag, own_label, m.text)
                            + (m.audience,)
                        )
                assert {k: [tuple(m) for m in v] for k, v in got.items()} == expected
                if parents:
                    assert sum(map(len, got.values())) < len(loaded)


#: A player's video as the template drew it from the item and the clip, before the view
#: worked out its start and addresses (``mode_moments.players_of``).
PLAYER = """<div class="player" id="{{ id }}" data-player data-player-managed data-duration="{{ clip.duration_s or 0 }}"
       data-start="{{ item.moment.start_s if item.moment and item.moment.clip_id == clip.id else 0 }}" data-decimal="{{ clip_decimal_mark() }}">
    <video class="player-video" data-video controls preload="none" playsinline
           controlslist="nodownload noremoteplayback" disablepictureinpicture
           src="{{ video_address.format(id=clip.id) }}"
           {% if clip.poster_key %}poster="{{ poster_address.format(id=clip.id) }}"{% endif %}
           {% if clip.width and clip.height %}width="{{ clip.width }}" height="{{ clip.height }}"{% endif %}>"""  # noqa: E501


#: The link to the cited moment as the template drew it from the saved notes' moment.
CITED = """<a href="{{ clip_address.format(id=cm.clip_id) ~ '?t=' ~ ('%g'|format(cm.start_s)) ~ '#player' if cm else '#' }}"
                 data-jump="{{ cm.start_s if cm else '' }}" data-for-player="{{ player_of(item, cm.clip_id) if cm else '' }}">{{ _("Play the cited moment") }} <span data-cited-time>{{ cm.start_s|clip_time if cm else '' }}</span></a>"""  # noqa: E501


def test_the_players_are_drawn_as_the_template_drew_them_from_the_item(
    app, client, login_as, circle, planned, agenda
):
    """Each player's start, decimal mark, video and poster: the item's moment in the clip it
    is in (else 0), a clip without a poster or a size; and the link to the cited moment,
    none or one with tenths; in both languages."""
    item, school, home = agenda["item"], agenda["school"], agenda["home"]
    item.moment_id = agenda["home"].id
    home.poster_key, home.width, home.duration_s = None, None, 12.5
    agenda["home"].start_s = 61.2345678
    notes = ItemNotes(item_id=item.id, meeting_id=planned.id, child_id=circle.child.id)
    db.session.add(notes)
    db.session.commit()
    login_as(circle.coach)
    for lang, cited in [("", None), ("?lang=en", agenda["home"].id), ("", agenda["home"].id)]:
        notes = db.session.get(ItemNotes, notes.id)
        notes.need, notes.need_moment_id = ("Rust", cited) if cited else ("", None)
        db.session.commit()
        page = client.get(mode_url(planned, f"/items/{item.id}{lang}")).get_data(as_text=True)
        drawn = re.findall(r'<div class="player" id=.*?<video.*?>', page, re.S)
        link = re.search(r'<p class="cited small".*?\n\s*\n\s*(<a .*?</a>)', page, re.S)
        with app.test_request_context(f"/{lang}"):
            app.preprocess_request()
            item = db.session.get(AgendaItem, item.id)
            school, home = item.clip, item.pair_clip
            ids = {"child_id": circle.child.id}
            expected = [
                render_template_string(
                    PLAYER,
                    item=item,
                    clip=clip,
                    id=player_of(item, clip.id),
                    video_address=address_of_items("clips.video", "clip_id", **ids),
                    poster_address=address_of_items("clips.poster", "clip_id", **ids),
                )
                for clip in (school, home)
            ]
            cm = db.session.get(ItemNotes, notes.id).need_moment
            expected_link = render_template_string(
                CITED,
                cm=cm,
                item=item,
                player_of=player_of,
                clip_address=address_of_items("clips.show", "clip_id", **ids),
            )
        assert drawn == expected, lang
        assert link is not None and link.group(1) == expected_link, lang
    assert 'data-start="61.2345678"' in page and 'data-start="0"' in page
    assert "?t=61.2346#player" in page
