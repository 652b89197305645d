"""Who and what the demo school holds (``flask demo-data``), as the browser tests use them."""

from __future__ import annotations

CHILD_NAME = "Noah Bakker"
COACH = "coach@regenboog.example"
ILSE = ("ouder.bakker2@example.nl", "Ilse Bakker")
PETER = ("ouder.bakker@example.nl", "Peter Bakker")
PURPOSES = ("school_recording", "home_recording", "team_viewing", "peer_review", "retention")

#: Peter's answers in the demo data, which his keyboard signing repeats.
PETER_ANSWERS = {p: "no" if p == "peer_review" else "yes" for p in PURPOSES}
#: Ilse says no where Peter says yes, and yes where he says no.
ILSE_ANSWERS = {**PETER_ANSWERS, "home_recording": "no", "peer_review": "yes"}
