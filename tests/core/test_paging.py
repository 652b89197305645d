"""Paging and the search by name (app/core/paging.py), apart from any page."""

from __future__ import annotations

import pytest
from flask import url_for

from app.core import paging
from app.core.paging import Page, page_number
from app.core.search import fold, search_text


@pytest.mark.parametrize(
    ("raw", "number"),
    [(None, 1), ("", 1), ("abc", 1), ("0", 1), ("-2", 1), (" 3 ", 3), ("٣", 1), ("1" * 7, 1)],
)
def test_a_page_number_is_a_positive_whole_number_or_the_first_page(raw, number):
    assert page_number(raw) == number


def test_a_page_knows_its_neighbours_and_its_place_in_the_list():
    page = Page(items=[1, 2, 3], number=2, per_page=3, total=8)
    assert (page.pages, page.has_previous, page.has_next) == (3, True, True)
    assert (page.first, page.last) == (4, 6)
    empty = Page(items=[], number=1, per_page=3, total=0)
    assert (empty.pages, empty.has_previous, empty.has_next, empty.first) == (1, False, False, 0)


@pytest.mark.parametrize(
    ("number", "pages", "window"),
    [
        (1, 1, [1]),
        (1, 3, [1, 2, 3]),
        (1, 10, [1, 2, None, 10]),
        (5, 10, [1, None, 4, 5, 6, None, 10]),
        (3, 10, [1, 2, 3, 4, None, 10]),
        (10, 10, [1, None, 9, 10]),
    ],
)
def test_the_page_links_are_the_ends_and_the_neighbours(number, pages, window):
    assert Page([], number, 1, pages).window() == window


def test_folding_ignores_case_and_accents_and_keeps_everything_else():
    assert fold("Zoë ÇELİK Ærø Straße") == "zoe celik aero strasse"
    assert fold("50% _x_") == "50% _x_"
    assert fold(None) is None


def test_a_search_is_tidied_and_cut_short():
    assert search_text("  Zoë \t Bakker \n") == "Zoë Bakker"
    assert len(search_text("x" * 500)) == 100
    assert search_text(None) == ""


def test_the_address_of_any_page_is_url_for_s_around_the_number(app):
    with app.test_request_context():
        before, after = paging.address_of_pages("children.index", q="a&b")
        for number in (1, 2, 2147483647):
            assert f"{before}{number}{after}" == url_for("children.index", page=number, q="a&b")
