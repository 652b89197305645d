"""Translations and dates looked up once per request: the same words and dates as Flask-Babel
writes them, in the language of the moment (a mail in the reader's language inside a request)."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import flask_babel
import jinja2
import pytest
from flask import render_template_string
from flask_babel import force_locale

from app.core import i18n

AMSTERDAM_CHANGES = [
    dt.datetime(2026, 3, 29, 0, 30, tzinfo=dt.UTC),  # 01:30 CET, half an hour before summer time
    dt.datetime(2026, 3, 29, 1, 30, tzinfo=dt.UTC),  # 03:30 CEST
    dt.datetime(2026, 10, 25, 0, 30, tzinfo=dt.UTC),  # 02:30 CEST, the first time
    dt.datetime(2026, 10, 25, 1, 30, tzinfo=dt.UTC),  # 02:30 CET, the second
    dt.datetime(2026, 12, 31, 23, 59, 59, tzinfo=dt.UTC),  # already 2027 in Amsterdam
    dt.datetime(2028, 2, 29, 12, 0),  # naive: read as UTC, as Flask-Babel reads it
]


@pytest.mark.parametrize("lang", ["nl", "en"])
@pytest.mark.parametrize("format", ["short", "medium", "long", "full"])
def test_dates_are_written_as_flask_babel_writes_them(app, lang, format):
    with app.test_request_context(f"/?lang={lang}"), force_locale(lang):
        for moment in AMSTERDAM_CHANGES:
            assert i18n.format_datetime(moment, format) == flask_babel.format_datetime(
                moment, format
            )
            assert i18n.format_date(moment, format) == flask_babel.format_date(moment, format)
            assert i18n.format_time(moment, format) == flask_babel.format_time(moment, format)
            assert i18n.format_date(moment.date(), format) == flask_babel.format_date(
                moment.date(), format
            )


def test_a_date_is_the_amsterdam_date_in_the_language_of_the_page(app):
    new_year = dt.datetime(2026, 12, 31, 23, 30, tzinfo=dt.UTC)
    with app.test_request_context("/"), force_locale("nl"):
        assert render_template_string("{{ d|dateformat('long') }}", d=new_year) == "1 januari 2027"
        assert "00:30" in render_template_string("{{ d|datetimeformat('medium') }}", d=new_year)
        assert render_template_string("{{ d|timeformat('short') }}", d=new_year) == "00:30"
    with app.test_request_context("/"), force_locale("en"):
        assert render_template_string("{{ d|dateformat('long') }}", d=new_year) == "January 1, 2027"


def test_other_formats_are_left_to_flask_babel(app):
    with app.test_request_context("/"), force_locale("nl"):
        assert i18n.format_date(dt.date(2027, 2, 3), "yyyy-MM") == "2027-02"


def test_the_words_follow_a_language_forced_inside_the_request(app):
    with app.test_request_context("/"), force_locale("nl"):
        assert i18n.gettext("Children") == "Kinderen"
        with force_locale("en"):  # a mail to a reader of English, sent while serving a page
            assert i18n.gettext("Children") == "Children"
            assert render_template_string("{{ _('Children') }}") == "Children"
        assert i18n.gettext("Children") == "Kinderen"
        assert render_template_string("{{ _('Children') }}") == "Kinderen"


def test_dates_follow_a_language_forced_inside_the_request(app):
    day = dt.datetime(2026, 10, 6, 4, 14, tzinfo=dt.UTC)
    with app.test_request_context("/"), force_locale("nl"):
        assert i18n.format_datetime(day, "medium") == "6 okt 2026, 06:14:00"
        with force_locale("en"):
            assert i18n.format_datetime(day, "medium") == "Oct 6, 2026, 6:14:00\u202fAM"
            assert i18n.format_date(day, "long") == "October 6, 2026"
        assert i18n.format_datetime(day, "medium") == "6 okt 2026, 06:14:00"
        assert i18n.format_date(day, "long") == "6 oktober 2026"


def test_lazy_words_and_plurals_are_translated_when_used(app):
    word = i18n.lazy_gettext("Children")
    with app.test_request_context("/"), force_locale("nl"):
        assert str(word) == "Kinderen"
        assert i18n.ngettext(
            "Please correct %(num)d field below.", "Please correct %(num)d fields below.", 2
        ) == flask_babel.ngettext(
            "Please correct %(num)d field below.", "Please correct %(num)d fields below.", 2
        )
    with app.test_request_context("/"), force_locale("en"):
        assert str(word) == "Children"


def test_outside_a_request_the_words_stay_as_written():
    assert i18n.gettext("Children") == "Children"


def test_the_app_translates_and_writes_dates_through_core_i18n():
    # Flask-Babel's own gettext pays its per-word look-up; a module importing it slips back.
    root = Path(__file__).resolve().parents[2] / "app"
    slow = re.compile(
        r"from flask_babel import .*\b(gettext|lazy_gettext|ngettext|format_date|format_datetime)\b"
    )
    offenders = [
        str(path.relative_to(root))
        for path in root.rglob("*.py")
        if path.name != "i18n.py" and slow.search(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []


#: Words said in a template as pages and mails say them: plain, with a variable to escape, with
#: a percent sign, in a loop, a plural.
SAID = (
    "{{ _('Children') }}|{{ _('Clips of %(name)s', name=who) }}|{{ _('100%%') }}|"
    "{% for n in [1, 2] %}{{ ngettext('%(num)d clip', '%(num)d clips', n) }}"
    "{{ gettext('Children') }}{% endfor %}|{% set w = _('Sign out') %}{{ w }}"
)


@pytest.mark.parametrize("lang", ["nl", "en"])
@pytest.mark.parametrize("autoescape", [True, False])
def test_templates_say_words_as_jinjas_own_gettext_says_them(app, lang, autoescape):
    # Without autoescaping, as the mails written as text.
    reference = jinja2.Environment(extensions=["jinja2.ext.i18n"], autoescape=autoescape)  # noqa: S701
    reference.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=lambda s: i18n.translations().ugettext(s),
        ngettext=lambda s, p, n: i18n.translations().ungettext(s, p, n),
        newstyle=True,
    )
    ours = app.jinja_env.overlay(autoescape=autoescape)
    with app.test_request_context(f"/?lang={lang}"):
        expected = reference.from_string(SAID).render(who="<b>Noah</b> & Co")
        said = ours.from_string(SAID).render(who="<b>Noah</b> & Co")
    assert said == expected
    assert ("&lt;b&gt;Noah" in said) is autoescape
    if lang == "nl":
        assert "Kinderen" in said


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_a_rendered_page_says_its_words_as_the_template_globals_say_them(app, lang):
    """``render_template`` hands the template a ``_`` with the request's words found once; it
    says what the globals say, escapes alike, and follows a language forced for a mail."""
    with app.test_request_context(f"/?lang={lang}"):
        expected = app.jinja_env.from_string(SAID).render(who="<b>Noah</b> & Co")
        said = render_template_string(SAID, who="<b>Noah</b> & Co")
        with force_locale("nl" if lang == "en" else "en"):
            forced = render_template_string("{{ _('Children') }}")
    assert said == expected
    assert forced == ("Kinderen" if lang == "en" else "Children")
