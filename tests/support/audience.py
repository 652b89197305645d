"""The expected audience tables (DESIGN rule 2), written out so a reader can check them:
who sees an object with an audience, and who may set which audience. ``tests/core/
test_audience.py`` holds the circle's code to them cell by cell; the clip tests use them too."""

from __future__ import annotations

from app.circle.audience import Audience

#: Who sees an object: the visitor, and whether the object is their own upload or someone
#: else's. "removed" was a teacher until yesterday.
SEES_TABLE = """
visitor        private      team         circle
               own  other   own  other   own  other
coach          yes  yes     yes  yes     yes  yes
teacher        yes  no      yes  yes     yes  yes
specialist     yes  no      yes  yes     yes  yes
parent         yes  no      yes  no      yes  yes
pupil          yes  no      yes  no      yes  yes
outsider       no   no      no   no      no   no
school_admin   no   no      no   no      no   no
removed        no   no      no   no      no   no
"""

VISITORS = ("coach", "teacher", "specialist", "parent", "pupil")
VISITORS += ("outsider", "school_admin", "removed")


def _parse_sees() -> dict[tuple[str, Audience, bool], bool]:
    table = {}
    for line in SEES_TABLE.strip().splitlines()[2:]:
        visitor, *cells = line.split()
        for i, audience in enumerate(Audience):
            table[(visitor, audience, True)] = cells[2 * i] == "yes"
            table[(visitor, audience, False)] = cells[2 * i + 1] == "yes"
    return table


SEES = _parse_sees()


def sees(visitor: str, audience: Audience, own: bool) -> bool:
    """The expected answer: may ``visitor`` see an object with ``audience``, own or not."""
    return SEES[(visitor, audience, own)]


#: Who may set which audience. The uploader is the actor ("own"), a school-side member
#: ("school"), a parent ("home"), or a parent who has left the circle ("left"). "now" is the
#: object's audience, or "new" while it is created. Any combination not listed allows nothing.
SETS_TABLE = """
actor        upload   now       may set
coach        own      new       private team circle
coach        own      private   private team circle
coach        own      team      private team circle
coach        own      circle    private team circle
coach        school   private   private team circle
coach        school   team      private team circle
coach        school   circle    private team circle
coach        home     private   private
coach        home     team      private team circle
coach        home     circle    private team circle
coach        left     private   private
coach        left     team      private team circle
coach        left     circle    private team circle
teacher      own      new       private team
teacher      own      private   private team
teacher      own      team      private team
teacher      own      circle    private team circle
specialist   own      new       private team
specialist   own      private   private team
specialist   own      team      private team
specialist   own      circle    private team circle
parent       own      new       private team
parent       own      private   private team
parent       own      team      private team
parent       own      circle    private team circle
pupil        own      new       private team
pupil        own      private   private team
pupil        own      team      private team
pupil        own      circle    private team circle
"""
UPLOADS = ("own", "school", "home", "left")
NOW: dict[str, Audience | None] = {"new": None, **{a.value: a for a in Audience}}


def _parse_sets() -> dict[tuple[str, str, str], frozenset[Audience]]:
    table = {}
    for line in SETS_TABLE.strip().splitlines()[1:]:
        actor, upload, now, *allowed = line.split()
        table[(actor, upload, now)] = frozenset(Audience(a) for a in allowed)
    return table


SETS = _parse_sets()
