"""The children list (home): in pages, searched by name, only the person's own circles, at a
cost that does not grow with the number of children."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import event

from app.children import views
from app.core.db import db

NAMES = ["Zoë Bakker", "Çelik Ömer", "Daan de Vries", "Emma Jansen", "Sem de Boer", "Noor 50%"]


@pytest.fixture
def per_page(monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.setattr(views, "PER_PAGE", 2)
    return 2


@pytest.fixture
def coach_of_six(make_user, make_child):
    coach = make_user("Coach Carla", staff=True)
    for name in NAMES:
        make_child(name, coach=coach)
    return coach


def listed(client, address: str) -> tuple[int, list[str], str]:
    response = client.get(address)
    html = response.get_data(as_text=True)
    names = re.findall(r'<h2><a href="/children/\d+">([^<]+)</a></h2>', html)
    return response.status_code, names, html


def in_order() -> list[str]:
    return sorted(NAMES)


def test_the_list_comes_in_pages_with_links_between_them(client, login_as, coach_of_six, per_page):
    login_as(coach_of_six)
    status, names, html = listed(client, "/?lang=en")
    assert status == 200
    assert names == in_order()[:2]
    assert "Page 1 of 3" in html
    assert '<nav class="paging" aria-label="Pages of the children list">' in html
    assert '<a href="/?page=2" rel="next">' in html
    assert 'rel="prev"' not in html
    assert '<a href="/?page=1" aria-current="page">' in html
    assert "Children 1–2 of 6" in html
    assert html.count('<span class="badge badge-coach">Coach</span>') == 2

    status, names, html = listed(client, "/?page=2&lang=en")
    assert names == in_order()[2:4]
    assert '<a href="/?page=1" rel="prev">' in html and '<a href="/?page=3" rel="next">' in html
    assert '<a href="/?page=2" aria-current="page">' in html

    status, names, html = listed(client, "/?page=3&lang=en")
    assert names == in_order()[4:]
    assert "Page 3 of 3" in html and 'rel="next"' not in html


@pytest.mark.parametrize(
    ("page", "shown"),
    [("abc", 1), ("0", 1), ("-1", 1), ("", 1), ("1.5", 1), ("²", 1), ("9" * 40, 1), ("99999", 3)],
)
def test_a_page_number_that_makes_no_sense_gives_a_page_not_an_error(
    client, login_as, coach_of_six, per_page, page, shown
):
    login_as(coach_of_six)
    status, names, html = listed(client, f"/?page={page}&lang=en")
    assert status == 200
    assert names == in_order()[(shown - 1) * 2 : shown * 2]
    assert f"Page {shown} of 3" in html


def test_one_page_shows_no_page_links_and_no_search(client, login_as, make_user, make_child):
    coach = make_user("Coach Carla", staff=True)
    make_child("Sem de Boer", coach=coach)
    login_as(coach)
    status, names, html = listed(client, "/?lang=en")
    assert names == ["Sem de Boer"]
    assert 'class="paging"' not in html and 'role="search"' not in html


@pytest.mark.parametrize(
    ("query", "found"),
    [
        ("zoe", ["Zoë Bakker"]),
        ("ZOË", ["Zoë Bakker"]),
        ("celik", ["Çelik Ömer"]),
        ("ÖMER", ["Çelik Ömer"]),
        ("  de  ", ["Daan de Vries", "Sem de Boer"]),
        ("50%", ["Noor 50%"]),
        ("%", ["Noor 50%"]),  # a plain character, not a wildcard
        ("_", []),
    ],
)
def test_search_by_name_ignores_case_and_accents(client, login_as, coach_of_six, query, found):
    login_as(coach_of_six)
    status, names, html = listed(client, f"/?q={query.replace('%', '%25')}&lang=en")
    assert status == 200
    assert names == found
    if found:
        count = len(found)
        assert f"{count} {'child' if count == 1 else 'children'} found for" in html
    else:
        assert "No child in your circles has a name with" in html
        assert "Show all children" in html


def test_the_search_stays_in_the_page_links_and_in_the_box(
    client, login_as, coach_of_six, per_page
):
    login_as(coach_of_six)
    status, names, html = listed(client, "/?q=e&page=2&lang=en")
    # Names with an e, accents folded: Daan de Vries, Emma Jansen, Sem de Boer, Zoë Bakker,
    # Çelik Ömer.
    assert names == ["Sem de Boer", "Zoë Bakker"]
    assert "Page 2 of 3" in html
    assert '<a href="/?page=1&amp;q=e" rel="prev">' in html
    assert '<a href="/?page=3&amp;q=e" rel="next">' in html
    assert 'name="q" value="e"' in html


def test_the_list_and_its_search_in_dutch(client, login_as, coach_of_six, per_page):
    login_as(coach_of_six)
    status, names, html = listed(client, "/?lang=nl")
    assert "Pagina 1 van 3" in html and "Zoek op naam" in html and "Volgende" in html
    status, names, html = listed(client, "/?q=xyz&lang=nl")
    assert "Geen kind in jouw kringen heeft ‘xyz’ in de naam." in html


def test_a_search_never_finds_a_child_outside_the_persons_circles(
    client, login_as, make_user, make_child, coach_of_six
):
    other_coach = make_user("Coach Kees", staff=True)
    make_child("Zoë Verborgen", coach=other_coach)
    parent = make_user("Ouder Petra")
    make_child("Emma Zichtbaar", coach=other_coach, parents=(parent,))

    login_as(coach_of_six)
    assert listed(client, "/?q=verborgen")[1] == []
    assert listed(client, "/?q=zoe")[1] == ["Zoë Bakker"]

    parents_client = login_as(parent, on=client.application.test_client())
    assert listed(parents_client, "/")[1] == ["Emma Zichtbaar"]
    assert listed(parents_client, "/?q=zoe")[1] == []


def test_a_page_asks_as_many_queries_whatever_the_number_of_children(
    client, login_as, make_user, make_child, per_page
):
    coach = make_user("Coach Carla", staff=True)
    login_as(coach)

    def queries(address: str) -> int:
        seen: list[str] = []

        def count(conn, cursor, statement, *args):  # noqa: ANN001
            seen.append(statement)

        event.listen(db.engine, "before_cursor_execute", count)
        try:
            assert client.get(address).status_code == 200
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
        return len(seen)

    for n in range(3):
        make_child(f"Kind {n:02d}", coach=coach)
    few, few_searched = queries("/?page=2"), queries("/?q=kind&page=2")
    for n in range(3, 12):
        make_child(f"Kind {n:02d}", coach=coach)
    assert queries("/?page=2") == few
    assert queries("/?q=kind&page=2") == few_searched
