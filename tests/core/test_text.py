"""The one-line rule: what it refuses, how a value is mended, how a file's name is cleaned."""

from __future__ import annotations

import pytest

from app.core.text import has_control_characters, single_line, without_control_characters


@pytest.mark.parametrize(
    "character",
    ["\n", "\r", "\t", "\x00", "\x1b", "\u2028", "\u2029", "\u202e", "\u2066"]
    + ["\u200b", "\u2060", "\ufeff"],
)
def test_every_line_break_and_override_is_refused_and_dropped(character):
    text = f"Noah{character}Bakker"
    assert has_control_characters(text)
    assert without_control_characters(text) == "NoahBakker"
    assert single_line(text) in {"Noah Bakker", "NoahBakker"}


@pytest.mark.parametrize(
    "text",
    [
        "Noah \u200eBakker",
        "Emma \U0001f469\u200d\U0001f467",
        "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645",  # Persian, with a non-joiner
        "\u0915\u094d\u200d\u0937",  # Devanagari, with a joiner
    ],
)
def test_marks_that_only_state_a_direction_and_joiners_stay(text):
    assert not has_control_characters(text)
    assert without_control_characters(text) == text


@pytest.mark.parametrize("character", ["\u200b", "\u2060", "\ufeff"])
def test_a_zero_width_space_is_dropped_without_leaving_a_space(character):
    assert single_line(f"No{character}ah Bakker") == "Noah Bakker"
