"""The names of the plan's parts as the pages, the form and the comparison show them."""

from __future__ import annotations

from app.core.i18n import lazy_gettext as _l
from app.plans.models import Part

PART_LABELS = {
    Part.HINDERING: _l("Hindering factors"),
    Part.SUPPORTING: _l("Supporting factors"),
    Part.STRENGTH: _l("Strengths"),
    Part.NEED: _l("Needs"),
    Part.GOAL: _l("Goals"),
    Part.AT_SCHOOL: _l("Approach at school"),
    Part.AT_HOME: _l("Approach at home"),
}

EXIT_PROFILE = _l("Expected exit destination")
EXIT_REASONING = _l("Reasoning")
DEVIATION = _l("Deviation from the regular programme")
EVALUATION = _l("Evaluation")
PARENTS_VIEWS = _l("The parents' view")
PUPIL_VIEW = _l("The pupil's own view")
CONSULTED_ON = _l("Consultation with the parents")
PLAN_DATE = _l("Date of the plan")
