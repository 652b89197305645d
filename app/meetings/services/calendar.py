"""A meeting as an iCalendar file (RFC 5545, iTIP RFC 5546), made with ``icalendar``.

One event with a UID that stays the meeting's for good and a SEQUENCE that rises with every
change sent, so that a calendar app replaces its copy instead of adding a second one;
``METHOD:REQUEST`` invites or updates, ``METHOD:CANCEL`` cancels. Times are written in the
school's zone with its VTIMEZONE, so 10:00 stays 10:00 on the wall clock on either side of a
daylight-saving change. The file holds what every invitee may read (the kind, the child's
first name, time, place, the guiding question and a link): never a preparation note.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from flask_babel import force_locale
from icalendar import Calendar, Event, vCalAddress, vText

from app.circle.models import User
from app.core.clock import display_zone
from app.core.db import utcnow
from app.core.i18n import gettext as _
from app.meetings.forms import KIND_LABELS
from app.meetings.models import Meeting

REQUEST = "REQUEST"
CANCEL = "CANCEL"
PRODID = "-//Beeldbrug//Meetings//NL"


def mimetype(method: str) -> str:
    """The Content-Type a calendar file of ``method`` is sent with."""
    return f"text/calendar; method={method}"


def summary(meeting: Meeting) -> str:
    """The event's title in the current language, e.g. "Shared review: Noah Bakker"."""
    return _("%(kind)s: %(name)s", kind=KIND_LABELS[meeting.kind], name=meeting.child.name)


def _address(user: User) -> vCalAddress:
    address = vCalAddress(f"mailto:{user.email}")
    address.params["CN"] = vText(user.name)
    return address


def calendar_file(
    meeting: Meeting,
    *,
    organizer: User | None,
    attendees: Sequence[User],
    method: str,
    language: str,
    link: str,
) -> bytes:
    """The iCalendar file of ``meeting`` for ``method`` (:data:`REQUEST` or :data:`CANCEL`),
    its words in ``language``, listing ``attendees`` (each a required participant; the
    organizer, when invited, chairs). Raises nothing of its own."""
    zone = display_zone()
    with force_locale(language):
        title = summary(meeting)
        description = "\n\n".join([_("Guiding question:") + " " + meeting.guiding_question, link])
    event = Event()
    event.add("uid", meeting.ical_uid)
    event.add("sequence", meeting.ical_sequence)
    event.add("dtstamp", utcnow())
    event.add("dtstart", meeting.starts_at.astimezone(zone))
    event.add("dtend", meeting.ends_at.astimezone(zone))
    event.add("summary", title)
    event.add("location", meeting.place)
    event.add("description", description)
    event.add("url", link)
    event.add("status", "CANCELLED" if method == CANCEL else "CONFIRMED")
    if organizer is not None:
        event.add("organizer", _address(organizer))
    for person in attendees:
        attendee = _address(person)
        chair = organizer is not None and person.id == organizer.id
        attendee.params["ROLE"] = vText("CHAIR" if chair else "REQ-PARTICIPANT")
        attendee.params["CUTYPE"] = vText("INDIVIDUAL")
        attendee.params["PARTSTAT"] = vText("ACCEPTED" if chair else "NEEDS-ACTION")
        attendee.params["RSVP"] = vText("FALSE")
        event.add("attendee", attendee, encode=False)
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("method", method)
    calendar.add_component(event)
    # The zone's rules for the years around the meeting: enough for any calendar app, and a
    # file of a few hundred bytes instead of every change since 1970.
    year = meeting.starts_at.year
    calendar.add_missing_timezones(first_date=date(year - 1, 1, 1), last_date=date(year + 2, 1, 1))
    data: bytes = calendar.to_ical()
    return data
