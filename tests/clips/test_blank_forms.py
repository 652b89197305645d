"""The clip page draws its empty moment form from plain values (app/clips/views/blank_forms.py),
not from a WTForms form; a form sent back is drawn through render_field. Both must give the
same HTML: the same fields, names, ids, labels, limits, choices, chosen values and token."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from flask import render_template_string

from app.circle.audience import AUDIENCE_LABELS, Audience
from app.clips.forms import TAG_LABELS, FragmentForm, MomentForm
from app.clips.views.blank_forms import blank_fragment_form, blank_moment_form

NASTY = "<b>\"Samen\" & 'zo'</b> {niet}"

_CARD = (
    '{% from "clips/_moments.html" import moment_card %}{{ moment_card(child, clip, form, blank) }}'
)


@pytest.fixture
def csrf_on(app, monkeypatch):
    """Form tokens on (the tests switch them off): the form must carry the page's one."""
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)


@pytest.mark.parametrize("lang", ["nl", "en"])
@pytest.mark.parametrize(
    "audiences",
    [tuple(Audience), (Audience.PRIVATE, Audience.CIRCLE)],
    ids=["every audience", "without the default"],
)
def test_the_empty_moment_form_draws_what_its_wtforms_form_draws(app, csrf_on, lang, audiences):
    choices = [(tag.value, label) for tag, label in TAG_LABELS.items()]
    choices += [("own-1", NASTY), ("own-2", "Eigen & label")]
    ids = SimpleNamespace(id=7)
    with app.test_request_context(f"/?lang={lang}"):
        app.preprocess_request()
        labels = {a: str(AUDIENCE_LABELS[a]) for a in Audience}
        form = MomentForm(
            data={"start": 83.3},
            tag_choices=choices,
            audiences=audiences,
            audience_labels=labels,
        )
        through_wtforms = render_template_string(_CARD, child=ids, clip=ids, form=form, blank=None)
        blank = blank_moment_form(83.3, choices, audiences, labels)
        by_hand = render_template_string(_CARD, child=ids, clip=ids, form=None, blank=blank)
    assert by_hand == through_wtforms
    assert 'name="csrf_token" type="hidden" value="' in by_hand
    assert "&lt;b&gt;&#34;Samen&#34; &amp; &#39;zo&#39;&lt;/b&gt; {niet}</option>" in by_hand
    assert ("checked " in by_hand) is (Audience.TEAM in audiences)
    assert 'value="1:23.3"' in by_hand or 'value="1:23,3"' in by_hand


_FRAGMENT_CARD = (
    '{% from "clips/_moments.html" import fragment_card %}'
    "{{ fragment_card(child, clip, form, 1, 300, blank) }}"
)


@pytest.mark.parametrize("lang", ["nl", "en"])
@pytest.mark.parametrize(
    "audiences",
    [tuple(Audience), (Audience.PRIVATE,)],
    ids=["every audience", "without the default"],
)
def test_the_empty_fragment_form_draws_what_its_wtforms_form_draws(app, csrf_on, lang, audiences):
    title = f"Fragment of {NASTY}"
    ids = SimpleNamespace(id=7)
    with app.test_request_context(f"/?lang={lang}"):
        app.preprocess_request()
        labels = {a: str(AUDIENCE_LABELS[a]) for a in Audience}
        form = FragmentForm(audiences=audiences, audience_labels=labels, data={"title": title})
        values = {"child": ids, "clip": ids}
        through_wtforms = render_template_string(_FRAGMENT_CARD, form=form, blank=None, **values)
        blank = blank_fragment_form(title, audiences, labels)
        by_hand = render_template_string(_FRAGMENT_CARD, form=None, blank=blank, **values)
    assert by_hand == through_wtforms
    assert 'name="csrf_token" type="hidden" value="' in by_hand
    assert 'value="Fragment of &lt;b&gt;&#34;Samen&#34;' in by_hand
    assert ("checked " in by_hand) is (Audience.TEAM in audiences)
