"""The id converter's pattern: exactly the whole numbers 1 to the largest id, so that an
address with any other number matches no route, whatever the method (404, never 405)."""

from __future__ import annotations

import re

from app.core.urls import MAX_ID, up_to


def test_the_pattern_holds_exactly_one_to_the_limit():
    for limit in (1, 5, 9, 10, 37, 100, 999, 1000, 4096):
        pattern = re.compile(up_to(limit) + r"\Z")
        assert [n for n in range(limit * 3) if pattern.match(str(n))] == list(range(1, limit + 1))


def test_the_largest_id_and_its_neighbours():
    pattern = re.compile(up_to(MAX_ID) + r"\Z")
    for number in (1, MAX_ID - 1, MAX_ID, 1_999_999_999, 2_099_999_999):
        assert pattern.match(str(number)), number
    for text in ("0", "007", str(MAX_ID + 1), "9" * 10, "9" * 19, "1" + "0" * 30, "-1", "1e3"):
        assert not pattern.match(text), text


def test_a_post_to_an_address_with_an_id_out_of_range_is_404_not_405(client):
    # Two routes share this address, a GET and a POST: werkzeug used to answer the POST 405.
    assert client.post(f"/children/{'9' * 19}/meetings/1/agenda").status_code == 404
    assert client.post(f"/children/1/meetings/{2**31}/agenda").status_code == 404
