"""Every model, imported in one place: the registry Alembic and the relationships see."""

from app.auth.models import AuthenticatorApp, Passkey, PasswordToken, RecoveryCode, UserSession
from app.children.export.models import ChildExport
from app.circle.models import Child, ChildTombstone, Invitation, Membership, Role, School, User
from app.clips.models import Clip, ClipTombstone, Moment, MomentTag, Upload
from app.consent.models import ConsentRecord, ConsentTemplate
from app.core.audit import AuditChain, AuditEvent, AuditPersonal
from app.core.db import Base
from app.core.signin import SignInMethod
from app.documents.models import Document, DocumentKind
from app.meetings import lock  # noqa: F401  (a finalised meeting's rows are locked)
from app.meetings.models import (
    AgendaItem,
    ItemNotes,
    Meeting,
    MeetingContribution,
    MeetingInvitee,
)
from app.meetings.models_followup import Agreement, AgreementReminder, AgreementReview
from app.meetings.models_summary import MeetingSummary, SummaryAcknowledgement
from app.plans import lock as plan_lock  # noqa: F401  (a sent plan version is locked)
from app.plans.models import PlanAnswer, PlanItem, PlanParentView, PlanReminder, PlanVersion

__all__ = [
    "AgendaItem",
    "Agreement",
    "AgreementReminder",
    "AgreementReview",
    "AuditChain",
    "AuthenticatorApp",
    "AuditEvent",
    "AuditPersonal",
    "Base",
    "Child",
    "ChildExport",
    "ChildTombstone",
    "Clip",
    "ClipTombstone",
    "ConsentRecord",
    "ConsentTemplate",
    "Document",
    "DocumentKind",
    "Invitation",
    "ItemNotes",
    "Meeting",
    "MeetingContribution",
    "MeetingInvitee",
    "MeetingSummary",
    "Membership",
    "Moment",
    "MomentTag",
    "Passkey",
    "PlanAnswer",
    "PlanItem",
    "PlanParentView",
    "PlanReminder",
    "PlanVersion",
    "PasswordToken",
    "RecoveryCode",
    "Role",
    "School",
    "SignInMethod",
    "SummaryAcknowledgement",
    "Upload",
    "User",
    "UserSession",
]
