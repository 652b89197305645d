"""Rows drawn once with holes and filled in: the same HTML the template would write."""

from __future__ import annotations

from jinja2 import Environment
from markupsafe import Markup, escape

from app.core.holes import Holes, esc, esc_all, pattern

NASTY = "<b>\"Samen\" & 'zo'</b> {niet} een veld"


def test_a_value_is_escaped_as_the_template_escapes_it():
    assert esc(NASTY) == str(escape(NASTY))
    assert esc("gewoon") == "gewoon"


def test_a_row_drawn_once_and_filled_in_is_the_row_the_template_draws():
    env = Environment(autoescape=True)
    row = env.from_string(
        '<li id="a-{{ id }}" data-x=\'{}\'><a href="{{ link }}">{{ text }}</a></li>'
    )
    holes = Holes("id", "link", "text")
    blank = Markup(row.render(id=holes.id, link=holes["link"], text=holes.text))  # noqa: S704
    filled = pattern(blank, holes)
    for id_, link, text in ((7, "/a?b=1&c=2", NASTY), (8, "/x", "{text}")):
        expected = row.render(id=id_, link=link, text=text)
        assert filled.format(id=id_, link=esc(link), text=esc(text)) == expected


def test_an_unknown_hole_is_an_attribute_error_as_for_any_object():
    holes = Holes("text")
    try:
        holes.other  # noqa: B018
    except AttributeError as error:
        assert str(error) == "other"
    else:
        raise AssertionError("an unknown hole was answered")


def test_values_escaped_together_are_each_escaped():
    texts = ["Kring <1> & 'zo'", "", 'Een "noot"', "{id} {0}", "gewoon"]
    assert esc_all(texts) == [str(escape(t)) for t in texts]
    assert esc_all([]) == []
    # a value holding the joining character after all: each escaped on its own
    odd = ["a\x00<b>", "c & d"]
    assert esc_all(odd) == [str(escape(t)) for t in odd]
