"""The form to check a PDF, and the person-facing names of document kinds."""

from __future__ import annotations

from flask_wtf.file import FileField, FileRequired, FileSize

from app.core.forms import PortalForm
from app.core.i18n import lazy_gettext as _l
from app.documents.models import DocumentKind

#: The largest PDF the verification page accepts.
MAX_VERIFY_BYTES = 20 * 1024 * 1024

KIND_LABELS = {
    DocumentKind.CONSENT: _l("Consent"),
    DocumentKind.MEETING_SUMMARY: _l("Meeting summary"),
    DocumentKind.SUPPORT_PLAN: _l("Support plan"),
}

TOO_LARGE = _l(
    "The file is larger than %(mb)d MB. Beeldbrug never issues PDFs that large.",
    mb=MAX_VERIFY_BYTES // (1024 * 1024),
)


class VerifyForm(PortalForm):
    file = FileField(
        _l("PDF document"),
        validators=[
            FileRequired(message=_l("Choose the PDF file you want to check.")),
            FileSize(max_size=MAX_VERIFY_BYTES, message=TOO_LARGE),
        ],
        description=_l("A consent form, meeting summary or support plan that Beeldbrug issued."),
        render_kw={"accept": "application/pdf,.pdf"},
    )
