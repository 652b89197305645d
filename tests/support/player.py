"""The clip page in tests: moments made directly in the database, and reading the page."""

from __future__ import annotations

import re

from app.circle.audience import Audience
from app.clips.models import Moment, Tag
from app.core.db import db


def add(clip, author, start, *, tag=Tag.ATTENTIVE, audience=Audience.TEAM, text="", end=None):
    moment = Moment(
        child_id=clip.child_id,
        clip_id=clip.id,
        author_id=author.id if author else None,
        start_s=start,
        end_s=end,
        tag=tag,
        text=text,
        audience=audience,
    )
    db.session.add(moment)
    db.session.commit()
    return moment


def page(client, clip, **query):
    return client.get(f"/children/{clip.child_id}/clips/{clip.id}", query_string=query)


def moment_texts(html):
    """The notes of the moment list, top to bottom."""
    return re.findall(r'<p class="moment-text">([^<]*)</p>', html)
