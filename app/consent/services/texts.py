"""Consent texts and their versions: the school's drafts, publishing, and the text a signer
reads (as shown on the page and as the canonical plain text that is stored and hashed)."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from flask import current_app
from sqlalchemy import Select, bindparam, select

from app.circle.models import School, User
from app.consent.default_texts import DEFAULT_RETENTION_MONTHS, DEFAULT_TEXTS
from app.consent.models import PURPOSES, ConsentTemplate
from app.core import audit, versions
from app.core.db import DbSession, utcnow
from app.core.errors import RefusedError
from app.core.i18n import lazy_gettext as _l
from app.core.signing import sha256_text

__all__ = [
    "draft_template",
    "ensure_published_template",
    "max_retention_months",
    "publish",
    "published_template",
    "sha256_text",
    "start_draft",
    "template_versions",
    "text_in",
    "text_shown",
    "update_draft",
]


def published_template(session: DbSession, school: School | int) -> ConsentTemplate | None:
    """The school's current consent text: its newest published version, or None. Raises
    nothing beyond database errors."""
    school_id = school if isinstance(school, int) else school.id
    # ``versions.published_version``, its statement built once: every child's page asks it.
    return session.scalar(_published_statement(), {"school_id": school_id})


@lru_cache(maxsize=1)
def _published_statement() -> Select[ConsentTemplate]:
    return (
        select(ConsentTemplate)
        .where(
            ConsentTemplate.school_id == bindparam("school_id"),
            ConsentTemplate.published_at.is_not(None),
        )
        .order_by(ConsentTemplate.version.desc())
        .limit(1)
    )


def draft_template(session: DbSession, school: School) -> ConsentTemplate | None:
    """The school's draft waiting to be published, or None. Raises nothing beyond database
    errors."""
    return versions.draft_version(session, ConsentTemplate, school_id=school.id)


def template_versions(session: DbSession, school: School) -> list[ConsentTemplate]:
    """Every version of the school's text, newest first. Raises nothing beyond database errors."""
    return versions.all_versions(session, ConsentTemplate, school_id=school.id)


def max_retention_months() -> int:
    """The longest retention term a school may choose, in months (from the settings)."""
    return int(current_app.config["CONSENT_MAX_RETENTION_MONTHS"])


def ensure_published_template(
    session: DbSession, school: School, *, actor: User | None
) -> ConsentTemplate:
    """The school's published text; on first use, the shipped default is published as v1.
    Raises nothing beyond database errors."""
    template = published_template(session, school)
    if template is not None:
        return template
    months = min(DEFAULT_RETENTION_MONTHS, max_retention_months())
    template = ConsentTemplate(
        school_id=school.id,
        version=_next_version(session, school),
        texts=copy.deepcopy(DEFAULT_TEXTS),
        retention_months=months,
        created_by_id=actor.id if actor else None,
        published_at=utcnow(),
        published_by_id=actor.id if actor else None,
    )
    session.add(template)
    session.flush()
    audit.record(
        session,
        "consent_template_published",
        actor=actor,
        obj=template,
        data={"version": template.version, "default": True},
    )
    return template


def _next_version(session: DbSession, school: School) -> int:
    return versions.next_version(session, ConsentTemplate, school_id=school.id)


def start_draft(session: DbSession, school: School, *, actor: User) -> ConsentTemplate:
    """A new draft copied from the current text (or the shipped default); the existing draft
    when there is one. Raises nothing beyond database errors."""

    def copied(base: ConsentTemplate | None) -> dict[str, Any]:
        return {
            "texts": copy.deepcopy(base.texts if base else DEFAULT_TEXTS),
            "retention_months": base.retention_months if base else DEFAULT_RETENTION_MONTHS,
        }

    draft, new = versions.start_draft(
        session, ConsentTemplate, copied, actor_id=actor.id, school_id=school.id
    )
    if new:
        audit.record(
            session,
            "consent_template_drafted",
            actor=actor,
            obj=draft,
            data={"version": draft.version},
        )
    return draft


def update_draft(
    session: DbSession,
    draft: ConsentTemplate,
    texts: Mapping[str, Any],
    retention_months: int,
    *,
    actor: User,
) -> None:
    """Replace a draft's texts and retention term. Raises RefusedError for a published version
    or (field ``retention_months``) a term outside 1 to the configured maximum."""
    versions.check_draft(draft)
    if not 1 <= retention_months <= max_retention_months():
        raise RefusedError(
            _l("Choose a retention term from 1 to %(max)d months.", max=max_retention_months()),
            field="retention_months",
        )
    draft.texts = copy.deepcopy(dict(texts))
    draft.retention_months = retention_months
    audit.record(
        session, "consent_template_edited", actor=actor, obj=draft, data={"version": draft.version}
    )


def publish(session: DbSession, draft: ConsentTemplate, *, actor: User) -> None:
    """Publish a draft: from now on new signers read this version, and it never changes.

    Raises RefusedError when it is published already or a text is missing in a language.
    """
    versions.check_draft(draft, versions.ALREADY_PUBLISHED)
    missing = [
        lang for lang in current_app.config["LANGUAGES"] if not _complete(draft.texts.get(lang))
    ]
    if missing:
        raise RefusedError(_l("Fill in every text in every language before publishing."))
    versions.publish_version(draft, actor_id=actor.id)
    audit.record(
        session,
        "consent_template_published",
        actor=actor,
        obj=draft,
        data={"version": draft.version},
    )


def _complete(text: Mapping[str, Any] | None) -> bool:
    if not text or not text.get("title") or not text.get("intro"):
        return False
    purposes = text.get("purposes") or {}
    return all(
        (purposes.get(p.value) or {}).get("label")
        and (purposes.get(p.value) or {}).get("explanation")
        for p in PURPOSES
    )


def text_in(template: ConsentTemplate, language: str) -> dict[str, Any]:
    """The template's text in ``language`` (Dutch when it lacks that language), months filled
    in. Raises KeyError for a template whose texts lack a purpose (publishing refuses those)."""
    text = (
        template.texts.get(language)
        or template.texts.get("nl")
        or next(iter(template.texts.values()))
    )
    months = str(template.retention_months)
    return {
        "title": text["title"],
        "intro": text["intro"],
        "purposes": {
            p: {
                "label": text["purposes"][p.value]["label"],
                "explanation": text["purposes"][p.value]["explanation"].replace("{months}", months),
            }
            for p in PURPOSES
        },
        "closing": text.get("closing", ""),
    }


def text_shown(template: ConsentTemplate, language: str) -> str:
    """The exact text a signer reads, as one canonical plain text (what is stored and hashed).
    Raises what :func:`text_in` raises."""
    text = text_in(template, language)
    parts = [text["title"], "", text["intro"], ""]
    for n, purpose in enumerate(PURPOSES, start=1):
        parts += [
            f"{n}. {text['purposes'][purpose]['label']}",
            text["purposes"][purpose]["explanation"],
            "",
        ]
    if text["closing"]:
        parts.append(text["closing"])
    parts.append(f"[{template.school_id}/v{template.version}/{language}]")
    return "\n".join(parts)
