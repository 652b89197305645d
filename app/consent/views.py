"""Consent pages: the status, signing, withdrawing, the PDFs; and the school's texts."""

from __future__ import annotations

from typing import Any

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_login import current_user

from app.circle import loaders, policy, routes
from app.circle.policy import Action, Seat
from app.consent import bp, services
from app.consent.forms import WithdrawForm, form_data_from, sign_form, template_form, texts_from
from app.consent.models import PURPOSES, Answer, ConsentRecord, ConsentTemplate
from app.consent.rules import PurposeState
from app.consent.services.signing import TEXT_CHANGED
from app.core.db import db
from app.core.forms import ConfirmForm, attempt
from app.core.i18n import gettext as _
from app.core.i18n import lazy_gettext as _l
from app.core.requests import accepts_body
from app.core.signing import evidence_from_request, sign_with_form
from app.core.signing.signature import SIGNING_BODY_MAX
from app.core.web import act
from app.documents import services as documents

#: Each state of a purpose in words of its own (translated when shown).
_STATE_LABELS = {
    PurposeState.GRANTED: _l("granted"),
    PurposeState.GRANTED_WAITING: _l("granted (not every parent has answered yet)"),
    PurposeState.REFUSED: _l("refused"),
    PurposeState.WITHDRAWN: _l("withdrawn"),
    PurposeState.DISAGREEMENT: _l("parents disagree: on hold"),
    PurposeState.UNANSWERED: _l("waiting for an answer (until then: no)"),
}


@bp.app_template_global("purpose_state_label")
def purpose_state_label(state: PurposeState | str) -> str:
    """How a purpose's status reads for people: each state in words of its own."""
    return str(_STATE_LABELS[PurposeState(state)])


@bp.get("/children/<int:child_id>/consent")
@routes.for_child(Action.VIEW_CONSENT)
def overview(seat: Seat) -> Any:
    child = seat.child
    status = services.status(db.session, child)
    template = services.published_template(db.session, child.school_id)
    records = services.visible_records(db.session, seat)
    signer_names = {u.id: u.name for u in services.signers(db.session, child)}
    return render_template(
        "consent/overview.html",
        child=child,
        status=status,
        labels=services.text_in(template, str(get_locale()))["purposes"] if template else None,
        signer_names=signer_names,
        records=records,
        documents=services.documents_of(db.session, records),
        my_latest=status.latest.get(seat.user.id),
        my_yeses=services.withdrawable(db.session, child, seat.user),
        may_sign=policy.decides_for_child(seat),
        may_request=seat.may(Action.REQUEST_CONSENT),
        can_all=seat.may(Action.VIEW_ALL_CONSENT_RECORDS),
        has_template=template is not None,
        form=ConfirmForm(),
    )


def _language(template: Any) -> str:
    language = str(get_locale())
    return language if language in template.texts else "nl"


@bp.route("/children/<int:child_id>/consent/sign", methods=["GET", "POST"])
@accepts_body(SIGNING_BODY_MAX)
@routes.for_child(Action.SIGN_CONSENT, check=policy.decides_for_child)
def sign(seat: Seat) -> Any:
    child = seat.child
    template = services.published_template(db.session, child.school_id)
    if template is None:
        return render_template("consent/no_template.html", child=child), 409
    language = _language(template)
    text = services.text_in(template, language)
    form = sign_form(text)
    outcome = sign_with_form(
        form,
        services.SIGN_FORM,
        {"child": child.id, "user": seat.user.id, "template": template.id},
        conflict=lambda: TEXT_CHANGED if form.template_id.data != str(template.id) else None,
        expired=_("This form was open too long or is not yours. Read the text again and answer."),
        store=lambda opened: services.sign(
            db.session,
            child,
            seat.user,
            template=template,
            language=language,
            answers={p: Answer(form[p.value].data) for p in PURPOSES},
            typed_name=form.typed_name.data,
            signature=form.signature_value(),
            opened_at=opened.opened_at,
            nonce=opened.nonce,
            evidence=evidence_from_request(),
        ),
        done=url_for("consent.overview", child_id=child.id),
        signed=_("Thank you. Your answers are saved and signed. You can download the PDF below."),
    )
    if outcome.response is not None:
        return outcome.response
    form.template_id.data = str(template.id)
    return render_template(
        "consent/sign.html", child=child, form=form, text=text, template=template, language=language
    ), outcome.status


@bp.route("/children/<int:child_id>/consent/withdraw", methods=["GET", "POST"])
@accepts_body(SIGNING_BODY_MAX)
@routes.for_child(Action.SIGN_CONSENT, check=policy.decides_for_child)
def withdraw(seat: Seat) -> Any:
    child = seat.child
    asked = request.args.get("purpose", "all")
    granted = services.withdrawable(db.session, child, seat.user)
    purposes = granted if asked == "all" else [p for p in granted if p.value == asked]
    if not purposes:
        flash(_("There is no consent of yours to withdraw here."), "info")
        return redirect(url_for("consent.overview", child_id=child.id))

    form = WithdrawForm()
    outcome = sign_with_form(
        form,
        services.WITHDRAW_FORM,
        {"child": child.id, "user": seat.user.id},
        store=lambda opened: services.withdraw(
            db.session,
            child,
            seat.user,
            purposes,
            nonce=opened.nonce,
            opened_at=opened.opened_at,
            evidence=evidence_from_request(),
        ),
        done=url_for("consent.overview", child_id=child.id),
        signed=_("Your consent is withdrawn. This takes effect at once."),
    )
    if outcome.response is not None:
        return outcome.response
    # The labels the signer agreed to: those of the text of their latest record.
    latest = services.latest_records(db.session, child, [seat.user.id])[seat.user.id]
    template = latest.template
    labels = services.text_in(template, _language(template))["purposes"]
    return render_template(
        "consent/withdraw.html",
        child=child,
        form=form,
        purposes=purposes,
        labels=labels,
        asked=asked,
    ), outcome.status


@bp.post("/children/<int:child_id>/consent/request")
@routes.for_child(Action.REQUEST_CONSENT)
def request_consent(seat: Seat) -> Any:
    child = seat.child
    if ConfirmForm().validate_on_submit():
        asked = services.request_consent(db.session, child, actor=seat.user)
        db.session.commit()
        if asked:
            flash(
                _("We have asked %(names)s by e-mail.", names=", ".join(u.name for u in asked)),
                "success",
            )
        else:
            flash(_("Everyone who decides has already answered."), "info")
    return redirect(url_for("consent.overview", child_id=child.id))


@bp.get("/children/<int:child_id>/consent/records/<int:record_id>/pdf")
@routes.for_child(Action.VIEW_CONSENT)
def record_pdf(seat: Seat, record_id: int) -> Any:
    child = seat.child
    record = loaders.of_child_or_404(ConsentRecord, child, record_id)
    policy.own_or_may(seat, record.signer_id, Action.VIEW_ALL_CONSENT_RECORDS)
    document = services.documents_of(db.session, [record]).get(record.id)
    if document is None:
        abort(404)
    current_app.logger.info("consent pdf sent: record=%s user=%s", record.id, seat.user.id)
    return documents.send_document(document)


# --- the school's consent texts (school admin) ---------------------------------------------


@bp.get("/admin/consent")
@routes.admin_only
def templates() -> Any:
    school = current_user.school
    return render_template(
        "consent/templates.html",
        versions=services.template_versions(db.session, school),
        draft=services.draft_template(db.session, school),
        form=ConfirmForm(),
    )


@bp.post("/admin/consent/draft")
@routes.admin_only
def start_draft() -> Any:
    if ConfirmForm().validate_on_submit():
        draft = services.start_draft(db.session, current_user.school, actor=current_user)
        db.session.commit()
        return redirect(url_for("consent.edit_template", template_id=draft.id))
    return redirect(url_for("consent.templates"))


@bp.get("/admin/consent/<int:template_id>")
@routes.admin_only
def show_template(template_id: int) -> Any:
    template = loaders.of_school_or_404(ConsentTemplate, current_user.school, template_id)
    texts = {lang: services.text_in(template, lang) for lang in current_app.config["LANGUAGES"]}
    return render_template(
        "consent/template_show.html", template=template, texts=texts, form=ConfirmForm()
    )


@bp.route("/admin/consent/<int:template_id>/edit", methods=["GET", "POST"])
@routes.admin_only
def edit_template(template_id: int) -> Any:
    template = loaders.of_school_or_404(ConsentTemplate, current_user.school, template_id)
    if template.is_published:
        flash(_("A published version cannot be changed. Start a new draft."), "info")
        return redirect(url_for("consent.show_template", template_id=template.id))
    languages = tuple(current_app.config["LANGUAGES"])
    form = template_form(
        languages,
        services.max_retention_months(),
        data=None
        if request.method == "POST"
        else form_data_from(template.texts, template.retention_months),
    )
    if form.validate_on_submit():
        ok, _saved = attempt(
            form,
            lambda: services.update_draft(
                db.session,
                template,
                texts_from(form, languages),
                form.retention_months.data,
                actor=current_user,
            ),
        )
        if ok:
            flash(_("The draft is saved. Publish it when it is ready."), "success")
            return redirect(url_for("consent.show_template", template_id=template.id))
    return render_template(
        "consent/template_form.html",
        template=template,
        form=form,
        languages=languages,
        purposes=PURPOSES,
    )


@bp.post("/admin/consent/<int:template_id>/publish")
@routes.admin_only
def publish_template(template_id: int) -> Any:
    template = loaders.of_school_or_404(ConsentTemplate, current_user.school, template_id)
    if ConfirmForm().validate_on_submit():
        act(
            lambda: services.publish(db.session, template, actor=current_user),
            _(
                "Version %(version)d is published. New signers read this text from now on.",
                version=template.version,
            ),
        )
    return redirect(url_for("consent.show_template", template_id=template.id))
