"""Consent's services, one module per job:

- :mod:`.texts` — the school's texts and their versions;
- :mod:`.status` — who decides, the status per purpose, and :func:`allows`;
- :mod:`.signing` — signing and withdrawing (through :mod:`app.core.signing`);
- :mod:`.notices` — mails to signers and coaches;
- :mod:`.documents` — the sealed PDF.

Other features ask one question: :func:`allows` (is this purpose granted for this child now?),
importable from here. Services take the acting user explicitly, flush, audit, and leave the
commit to the caller.
"""

from app.consent.models import Purpose
from app.consent.rules import PurposeState
from app.consent.services.documents import (
    EVIDENCE_ACTIONS,
    consent_evidence,
    documents_of,
    issue_pdf,
    pdf_title,
    pdf_values,
)
from app.consent.services.notices import (
    coaches_of,
    notify_consent_age,
    request_consent,
    tell_coaches,
)
from app.consent.services.signing import (
    SIGN_FORM,
    WITHDRAW_FORM,
    sign,
    withdraw,
    withdrawal_text,
)
from app.consent.services.status import (
    allows,
    deciding_role,
    latest_records,
    records_of,
    retention_months,
    signer_role_for,
    signers,
    status,
    visible_records,
    withdrawable,
)
from app.consent.services.texts import (
    draft_template,
    ensure_published_template,
    max_retention_months,
    publish,
    published_template,
    sha256_text,
    start_draft,
    template_versions,
    text_in,
    text_shown,
    update_draft,
)
from app.core.signing import Evidence, Signature

__all__ = [
    "Purpose",
    "PurposeState",
    "EVIDENCE_ACTIONS",
    "SIGN_FORM",
    "WITHDRAW_FORM",
    "Evidence",
    "Signature",
    "allows",
    "coaches_of",
    "consent_evidence",
    "deciding_role",
    "documents_of",
    "draft_template",
    "ensure_published_template",
    "issue_pdf",
    "latest_records",
    "max_retention_months",
    "notify_consent_age",
    "pdf_title",
    "pdf_values",
    "publish",
    "published_template",
    "records_of",
    "request_consent",
    "retention_months",
    "sha256_text",
    "sign",
    "signer_role_for",
    "signers",
    "start_draft",
    "status",
    "tell_coaches",
    "template_versions",
    "text_in",
    "text_shown",
    "update_draft",
    "visible_records",
    "withdraw",
    "withdrawable",
    "withdrawal_text",
]
