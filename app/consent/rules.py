"""The consent rules themselves, free of the database: who decides, and what a set of answers
means for each purpose (DESIGN.md §4 rule 3).

- Under the consent age (16) the guardians in the circle decide; from then on the pupil does.
- A purpose is granted while at least one signer granted it and none refused or withdrew it.
  A yes beside a no is a disagreement: the purpose is frozen (not granted) and the coach is told.
- Silence is no: a purpose nobody answered is not granted.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date

from app.consent.models import Answer, ConsentRecord, Purpose, SignerRole

CONSENT_AGE = 16


def consent_age_on(date_of_birth: date) -> date:
    """The day the pupil reaches the consent age (29 February counts as 1 March)."""
    year = date_of_birth.year + CONSENT_AGE
    try:
        return date_of_birth.replace(year=year)
    except ValueError:
        return date(year, 3, 1)


def signer_role_for(date_of_birth: date, on: date) -> SignerRole:
    """Who decides about consent on ``on``: the guardians, or the pupil."""
    return SignerRole.PUPIL if on >= consent_age_on(date_of_birth) else SignerRole.GUARDIAN


class PurposeState(enum.StrEnum):
    GRANTED = "granted"
    REFUSED = "refused"
    WITHDRAWN = "withdrawn"
    DISAGREEMENT = "disagreement"
    UNANSWERED = "unanswered"


@dataclass(frozen=True)
class PurposeStatus:
    purpose: Purpose
    state: PurposeState
    yes: tuple[int, ...] = ()  # signer ids who said yes
    no: tuple[int, ...] = ()  # signer ids who said no (refused or withdrew)

    @property
    def granted(self) -> bool:
        return self.state is PurposeState.GRANTED


@dataclass(frozen=True)
class ConsentStatus:
    signer_role: SignerRole
    purposes: Mapping[Purpose, PurposeStatus]
    signers: tuple[int, ...]
    pending: tuple[int, ...]  # signers who have not answered at all
    latest: Mapping[int, ConsentRecord] = field(default_factory=dict)

    def allows(self, purpose: Purpose) -> bool:
        return self.purposes[purpose].granted

    @property
    def disagreements(self) -> list[Purpose]:
        return [p for p, s in self.purposes.items() if s.state is PurposeState.DISAGREEMENT]


def purpose_status(purpose: Purpose, latest: Mapping[int, ConsentRecord]) -> PurposeStatus:
    """What the signers' latest records together say about one purpose."""
    yes = tuple(sorted(sid for sid, r in latest.items() if r.answer(purpose) is Answer.YES))
    no = tuple(sorted(sid for sid, r in latest.items() if r.answer(purpose) is Answer.NO))
    if yes and no:
        state = PurposeState.DISAGREEMENT
    elif no:
        withdrawn = any(purpose.value in (latest[sid].withdrawn or []) for sid in no)
        state = PurposeState.WITHDRAWN if withdrawn else PurposeState.REFUSED
    elif yes:
        state = PurposeState.GRANTED
    else:
        state = PurposeState.UNANSWERED
    return PurposeStatus(purpose, state, yes, no)


def combine(
    signer_role: SignerRole, signer_ids: Iterable[int], latest: Mapping[int, ConsentRecord]
) -> ConsentStatus:
    """The status of every purpose from the latest record of each current signer."""
    signers = tuple(signer_ids)
    counted = {sid: record for sid, record in latest.items() if sid in signers}
    return ConsentStatus(
        signer_role=signer_role,
        purposes={p: purpose_status(p, counted) for p in Purpose},
        signers=signers,
        pending=tuple(sid for sid in signers if sid not in counted),
        latest=counted,
    )
