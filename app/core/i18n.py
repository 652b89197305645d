"""Translations, looked up once per request and language instead of once per word.

Flask-Babel finds the request's translations anew for every word it translates: about nine
context-local look-ups, some 16 µs, where a page with forms says a hundred words or more. The
functions here keep the translations found on Flask-Babel's own per-request namespace together
with the locale they were found for, and ask Flask-Babel again only when that locale changes
(``force_locale`` for a mail in the reader's language, ``refresh``). Outside a request they fall
back to Flask-Babel, which answers untranslated. Templates use the same look-up (``install``).

Dates are written the way Flask-Babel's ``dateformat`` and ``datetimeformat`` filters write them
(Babel's patterns for the language, in the display time zone), with each language's patterns
looked up once instead of on every date: a list of fifty playbacks wrote fifty.
"""

from __future__ import annotations

import datetime as dt
from contextlib import suppress
from functools import lru_cache
from gettext import NullTranslations
from typing import Any, Literal, cast

import flask_babel
from babel import Locale, dates
from flask import Flask, g
from flask_babel.speaklater import LazyString
from jinja2 import pass_eval_context
from jinja2.nodes import EvalContext
from markupsafe import Markup

__all__ = [
    "format_date",
    "format_datetime",
    "gettext",
    "install",
    "locale",
    "lazy_gettext",
    "ngettext",
    "translations",
]
Named = Literal["short", "medium", "long", "full"]
NAMED = ("short", "medium", "long", "full")


def translations() -> NullTranslations:
    """The translations of the current request's language."""
    try:
        ctx = g._flask_babel
    except (AttributeError, RuntimeError):  # not yet asked in this request, or no request
        return cast(NullTranslations, flask_babel.get_translations())
    found = getattr(ctx, "beeldbrug_translations", None)
    locale = getattr(ctx, "babel_locale", None)
    if found is not None and locale is not None and found[0] is locale:
        return cast(NullTranslations, found[1])
    result = cast(NullTranslations, flask_babel.get_translations())
    ctx.beeldbrug_translations = (getattr(ctx, "babel_locale", None), result)
    return result


def locale() -> Locale | None:
    """The request's language (None outside a request), as ``flask_babel.get_locale``."""
    try:
        found = g._flask_babel.babel_locale
    except (AttributeError, RuntimeError):
        found = None
    return cast(Locale | None, found if found is not None else flask_babel.get_locale())


def gettext(string: str, **variables: Any) -> str:
    """``string`` in the request's language, formatted with ``variables`` when given."""
    text = translations().ugettext(string)  # type: ignore[attr-defined]
    return text % variables if variables else text  # type: ignore[no-any-return]


def ngettext(singular: str, plural: str, num: int, **variables: Any) -> str:
    """The singular or plural form for ``num``; ``%(num)d`` is available to it."""
    variables.setdefault("num", num)
    text = translations().ungettext(singular, plural, num)  # type: ignore[attr-defined]
    return text % variables  # type: ignore[no-any-return]


def lazy_gettext(string: str, **variables: Any) -> LazyString:
    """``gettext`` when the string is used, not when it is defined (forms, module constants)."""
    return LazyString(gettext, string, **variables)


def format_date(value: dt.date | None = None, format: str = "medium") -> str:
    """A date (a moment's date in the display time zone) as the request's language writes it."""
    if format not in NAMED or value is None:
        return str(flask_babel.format_date(value, format))
    writer = _dates()
    if isinstance(value, dt.datetime):
        value = writer.local(value).date()
    return writer.day(format, value)


def format_datetime(value: dt.datetime | None = None, format: str = "medium") -> str:
    """A moment in the display time zone, date and time, as the request's language writes it."""
    if format not in NAMED or value is None:
        return str(flask_babel.format_datetime(value, format))
    writer = _dates()
    local = writer.local(value)
    wrapper, _, time_pattern = writer.patterns(format)
    time = time_pattern.apply(local.timetz(), writer.language, reference_date=local.date())
    return wrapper.replace("{0}", time).replace("{1}", writer.day(format, local.date()))


def format_time(value: dt.datetime | dt.time | None = None, format: str = "medium") -> str:
    """A moment's time of day in the display time zone, as the request's language writes it
    (a list of moments writes many: the pattern is looked up once a request)."""
    if format not in NAMED or not isinstance(value, dt.datetime):
        return str(flask_babel.format_time(value, format))
    writer = _dates()
    local = writer.local(value)
    pattern = writer.patterns(format)[2]
    return str(pattern.apply(local.timetz(), writer.language, reference_date=local.date()))


class _Dates:
    """The request's language and display time zone, and the patterns and days they wrote in
    this request: a list of fifty playbacks asks for them fifty times, and a cached look-up
    keyed by a ``Locale`` still compares locales in Python."""

    __slots__ = ("language", "zone", "_patterns", "_days")

    def __init__(self, language: Locale | None, zone: Any) -> None:
        self.language = language
        self.zone = zone
        self._patterns: dict[str, tuple[str, Any, Any]] = {}
        self._days: dict[tuple[str, dt.date], str] = {}

    def local(self, value: dt.datetime) -> dt.datetime:
        local = (value if value.tzinfo else value.replace(tzinfo=dt.UTC)).astimezone(self.zone)
        return self.zone.normalize(local) if hasattr(self.zone, "normalize") else local  # pytz

    def patterns(self, format: str) -> tuple[str, Any, Any]:
        found = self._patterns.get(format)
        if found is None:
            found = self._patterns[format] = _patterns(self.language, format)
        return found

    def day(self, format: str, day: dt.date) -> str:
        found = self._days.get((format, day))
        if found is None:
            found = self._days[(format, day)] = _day(self.language, format, day)
        return found


def _dates() -> _Dates:
    """The writer of the request's dates, kept on Flask-Babel's per-request namespace beside
    the language and time zone it was made for (a forced language or a refresh makes another)."""
    try:
        ctx = g._flask_babel
        found = ctx.beeldbrug_dates
        if found.language is ctx.babel_locale and found.zone is ctx.babel_tzinfo:
            return cast(_Dates, found)
    except (AttributeError, RuntimeError):  # not yet made in this request, or no request
        pass
    writer = _Dates(locale(), flask_babel.get_timezone())
    with suppress(AttributeError, RuntimeError):  # outside a request: nothing to keep it on
        g._flask_babel.beeldbrug_dates = writer
    return writer


@lru_cache(maxsize=1024)
def _day(language: Locale | None, format: str, day: dt.date) -> str:
    """A day written out: a list of moments names the same few days again and again."""
    return _patterns(language, format)[1].apply(day, language)  # type: ignore[no-any-return]


@lru_cache(maxsize=32)
def _patterns(language: Locale | None, format: str) -> tuple[str, Any, Any]:
    """Babel's datetime wrapper, date pattern and time pattern of a language."""
    named = cast(Named, format)
    return (
        str(dates.get_datetime_format(named, locale=language)).replace("'", ""),
        dates.get_date_format(named, locale=language),
        dates.get_time_format(named, locale=language),
    )


def install(app: Flask) -> None:
    """Let templates translate and write dates through the same look-ups (after Flask-Babel's
    ``init_app``, whose ``dateformat``, ``datetimeformat`` and ``timeformat`` filters these
    replace)."""
    app.jinja_env.filters.update(
        dateformat=format_date, datetimeformat=format_datetime, timeformat=format_time
    )
    app.jinja_env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=lambda s: translations().ugettext(s),  # type: ignore[attr-defined]
        ngettext=lambda s, p, n: translations().ungettext(s, p, n),  # type: ignore[attr-defined]
        pgettext=lambda c, s: translations().upgettext(c, s),  # type: ignore[attr-defined]
        npgettext=lambda c, s, p, n: translations().unpgettext(c, s, p, n),  # type: ignore[attr-defined]
        newstyle=True,
    )
    # Jinja's own ``_`` looks ``gettext`` up in the context and calls it through the context
    # again (a new context for a word said inside a block or loop): these say the same words
    # in the same way with a third of the work, and the template's autoescaping decides, as in
    # Jinja's, whether the word is markup (an HTML page) or text (a mail).
    app.jinja_env.globals.update(_=_template_gettext, gettext=_template_gettext)
    app.jinja_env.globals["ngettext"] = _template_ngettext
    app.context_processor(_words_of_this_render)


def _words_of_this_render() -> dict[str, Any]:
    """``_`` for one render, the request's translations found once: a page says fifty words
    or more, and finding them costs more than looking a word up. Macros imported without the
    context say theirs through the globals above, the same words."""
    ugettext = translations().ugettext  # type: ignore[attr-defined]

    @pass_eval_context
    def say(eval_ctx: EvalContext, string: str, /, **variables: Any) -> str:
        text = ugettext(string)
        if eval_ctx.autoescape:
            text = Markup(text)  # noqa: S704 - the catalogue, as Jinja's newstyle gettext
        return text % variables if variables or "%" in text else text  # type: ignore[no-any-return]

    return {"_": say, "gettext": say}


@pass_eval_context
def _template_gettext(eval_ctx: EvalContext, string: str, /, **variables: Any) -> str:
    text = translations().ugettext(string)  # type: ignore[attr-defined]
    if eval_ctx.autoescape:
        text = Markup(text)  # noqa: S704 - the catalogue, as Jinja's newstyle gettext
    # Jinja formats every word, variables or not ("100%%" says "100%"); without a % sign
    # formatting changes nothing.
    return text % variables if variables or "%" in text else text  # type: ignore[no-any-return]


@pass_eval_context
def _template_ngettext(
    eval_ctx: EvalContext, singular: str, plural: str, num: int, /, **variables: Any
) -> str:
    variables.setdefault("num", num)
    text = translations().ungettext(singular, plural, num)  # type: ignore[attr-defined]
    if eval_ctx.autoescape:
        text = Markup(text)  # noqa: S704 - the catalogue, as Jinja's newstyle gettext
    return text % variables  # type: ignore[no-any-return]
