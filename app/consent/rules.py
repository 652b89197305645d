"""The consent rules themselves, free of the database: who decides, and what a set of answers
means for each purpose (DESIGN.md §4 rule 3).

- Under the consent age (16) the guardians in the circle decide; from then on the pupil does.
- A purpose is granted while at least one signer granted it and none refused or withdrew it;
  a guardian who has not answered yet does not block the other's yes (the state says so).
- A withdrawal ends the grant, whatever the other guardian answered: the purpose reads
  withdrawn, not as a disagreement.
- A refusal beside a yes is a disagreement: the purpose is frozen (not granted) and the coach
  is told.
- Silence is no: a purpose nobody answered is not granted.
"""

from __future__ import annotations

import enum
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, NamedTuple

from app.circle.consent_age import CONSENT_AGE, consent_age_on, pupil_decides
from app.consent.models import Answer, Purpose, RecordKind, SignerRole, answer_in

__all__ = ["CONSENT_AGE", "consent_age_on"]  # the circle's fact, named here where rules use it


def signer_role_for(date_of_birth: date, on: date) -> SignerRole:
    """Who decides about consent on ``on``: the guardians, or the pupil."""
    return SignerRole.PUPIL if pupil_decides(date_of_birth, on) else SignerRole.GUARDIAN


class Signed(NamedTuple):
    """What the rules read of a signed consent record, as plain values (the status is asked
    on every page of a child and every range request of a video: no entity is loaded for
    it); ``template_id`` names the text it answered (its retention term)."""

    id: int
    signer_id: int | None
    kind: RecordKind
    answers: dict[str, str]
    withdrawn: list[str]
    signed_at: datetime
    template_id: int

    def answer(self, purpose: Purpose) -> Answer | None:
        """The signer's answer for ``purpose``, as ``ConsentRecord.answer``."""
        return answer_in(self.answers, purpose)

    @classmethod
    def of(cls, row: Any) -> Signed:
        """From a row with the record's columns under their own names."""
        return cls(
            row.id,
            row.signer_id,
            row.kind,
            row.answers,
            row.withdrawn,
            row.signed_at,
            row.template_id,
        )


class PurposeState(enum.StrEnum):
    """What the signers' answers together mean for one purpose; each reads differently."""

    GRANTED = "granted"  # every signer answered, at least one yes, nobody said no
    GRANTED_WAITING = "granted_waiting"  # granted by who answered; someone has not answered
    REFUSED = "refused"  # a no given when signing, and no yes beside it
    WITHDRAWN = "withdrawn"  # a signer withdrew an earlier yes
    DISAGREEMENT = "disagreement"  # a yes beside a refusal: on hold until they agree
    UNANSWERED = "unanswered"  # nobody answered yet: waiting, and until then no


GRANTING_STATES = frozenset({PurposeState.GRANTED, PurposeState.GRANTED_WAITING})


@dataclass(frozen=True)
class PurposeStatus:
    purpose: Purpose
    state: PurposeState
    yes: tuple[int, ...] = ()  # signer ids who said yes
    no: tuple[int, ...] = ()  # signer ids who said no (refused or withdrew)

    @property
    def granted(self) -> bool:
        return self.state in GRANTING_STATES


@dataclass(frozen=True)
class ConsentStatus:
    signer_role: SignerRole
    purposes: Mapping[Purpose, PurposeStatus]
    signers: tuple[int, ...]
    pending: tuple[int, ...]  # signers who have not answered at all
    latest: Mapping[int, Signed] = field(default_factory=dict)

    def allows(self, purpose: Purpose) -> bool:
        return self.purposes[purpose].granted

    @property
    def disagreements(self) -> list[Purpose]:
        return [p for p, s in self.purposes.items() if s.state is PurposeState.DISAGREEMENT]


def purpose_status(
    purpose: Purpose,
    latest: Mapping[int, Signed],
    waiting: bool = False,
    withdrawn: Mapping[int, Collection[str]] | None = None,
) -> PurposeStatus:
    """What the signers' latest records together say about one purpose.

    ``waiting`` tells that at least one signer has not answered at all. ``withdrawn`` gives,
    per signer, every purpose they withdrew since their latest consent record (default: what
    the latest record itself withdrew).
    """
    yes = tuple(sorted(sid for sid, r in latest.items() if r.answer(purpose) is Answer.YES))
    no = tuple(sorted(sid for sid, r in latest.items() if r.answer(purpose) is Answer.NO))
    withdrew = any(
        purpose.value in (latest[sid].withdrawn or [] if withdrawn is None else withdrawn[sid])
        for sid in no
    )
    if withdrew:
        state = PurposeState.WITHDRAWN
    elif yes and no:
        state = PurposeState.DISAGREEMENT
    elif no:
        state = PurposeState.REFUSED
    elif yes:
        state = PurposeState.GRANTED_WAITING if waiting else PurposeState.GRANTED
    else:
        state = PurposeState.UNANSWERED
    return PurposeStatus(purpose, state, yes, no)


def withdrawn_since_consent(records: Iterable[Signed]) -> dict[int, frozenset[str]]:
    """Per signer, the purposes withdrawn since their latest consent record, from records in
    the order they were signed (a new consent asks every part again and withdraws nothing)."""
    withdrawn: dict[int, frozenset[str]] = {}
    for record in records:
        if record.signer_id is None:
            continue
        before = withdrawn.get(record.signer_id, frozenset())
        kept = before if record.kind is RecordKind.WITHDRAWAL else frozenset()
        withdrawn[record.signer_id] = kept | frozenset(record.withdrawn or [])
    return withdrawn


def combine(
    signer_role: SignerRole,
    signer_ids: Iterable[int],
    latest: Mapping[int, Signed],
    withdrawn: Mapping[int, Collection[str]] | None = None,
) -> ConsentStatus:
    """The status of every purpose from the latest record of each current signer, and what
    each withdrew since their latest consent (see :func:`withdrawn_since_consent`)."""
    signers = tuple(signer_ids)
    counted = {sid: record for sid, record in latest.items() if sid in signers}
    pending = tuple(sid for sid in signers if sid not in counted)
    return ConsentStatus(
        signer_role=signer_role,
        purposes={
            p: purpose_status(
                p,
                counted,
                waiting=bool(pending),
                withdrawn=None if withdrawn is None else {s: withdrawn.get(s, ()) for s in counted},
            )
            for p in Purpose
        },
        signers=signers,
        pending=pending,
        latest=counted,
    )
