"""The one-line rule: what it refuses, how a value is mended, how a file's name is cleaned."""

from __future__ import annotations

import pytest

from app.core.text import has_control_characters, single_line, without_control_characters


@pytest.mark.parametrize(
    "character", ["\n", "\r", "\t", "\x00", "\x1b", "\u2028", "\u2029", "\u202e", "\u2066"]
)
def test_every_line_break_and_override_is_refused_and_dropped(character):
    text = f"Noah{character}Bakker"
    assert has_control_characters(text)
    assert without_control_characters(text) == "NoahBakker"
    assert single_line(text) in {"Noah Bakker", "NoahBakker"}


@pytest.mark.parametrize("text", ["Noah \u200eBakker", "Emma \U0001f469\u200d\U0001f467"])
def test_marks_that_only_state_a_direction_and_joiners_stay(text):
    assert not has_control_characters(text)
    assert without_control_characters(text) == text
