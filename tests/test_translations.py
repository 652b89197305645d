"""Every user-facing string goes through the catalogues, and Dutch has them all (plurals too)."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po
from flask import render_template_string
from flask_babel import force_locale

ROOT = Path(__file__).resolve().parents[1]

#: The extraction as `make extract-messages` runs it. `--ignore-dirs` names only dot folders:
#: Babel's default also skips folders starting with "_", and so missed templates/_macros.
EXTRACT = [
    sys.executable, "-m", "babel.messages.frontend", "-q", "extract", "-F", "babel.cfg",
    "-k", "_l", "-k", "lazy_gettext", "--ignore-dirs", ".*",
]  # fmt: skip


def _key(message_id: str | tuple[str, ...]) -> str:
    return message_id if isinstance(message_id, str) else message_id[0]


def untranslated(wanted: Catalog, catalogue: Catalog) -> list[str]:
    """The ids of ``wanted`` messages that ``catalogue`` does not translate in full, sorted.

    A message counts as translated when its entry is not fuzzy and, for a singular, has a
    non-empty string; for a plural (``ngettext``), the entry must be a plural entry too (a
    singular entry is never found by ``ngettext``) with every form, ``msgstr[0]`` up to the
    catalogue's ``nplurals``, filled in.
    """
    missing = []
    for message in wanted:
        if not message.id:
            continue
        key = _key(message.id)
        entry = catalogue.get(key)
        if entry is None or entry.fuzzy:
            missing.append(key)
        elif message.pluralizable:
            forms = entry.string if entry.pluralizable else ()
            complete = len(forms) >= catalogue.num_plurals and all(forms)
            if not complete:
                missing.append(key)
        elif entry.pluralizable or not entry.string:
            missing.append(key)
    return sorted(missing)


def test_every_message_in_code_and_templates_has_a_dutch_translation(tmp_path):
    pot = tmp_path / "messages.pot"
    subprocess.run([*EXTRACT, "-o", str(pot), "."], cwd=ROOT, check=True, capture_output=True)
    with pot.open("rb") as fh:
        wanted = read_po(fh)
    assert len(wanted) > 300  # the extraction really ran
    # ... over the shared macros too, where the error summary of every form lives.
    assert wanted.get("Please correct %(num)d field below.") is not None
    with (ROOT / "translations/nl/LC_MESSAGES/messages.po").open("rb") as fh:
        catalogue = read_po(fh)
    missing = untranslated(wanted, catalogue)
    assert missing == [], f"{len(missing)} messages without Dutch: {missing[:10]}"


CRAFTED_POT = """
msgid "Hello"
msgstr ""

msgid "Not yet"
msgstr ""

msgid "Unsure"
msgstr ""

msgid "%(num)d child"
msgid_plural "%(num)d children"
msgstr[0] ""
msgstr[1] ""

msgid "%(num)d day"
msgid_plural "%(num)d days"
msgstr[0] ""
msgstr[1] ""

msgid "%(num)d week"
msgid_plural "%(num)d weeks"
msgstr[0] ""
msgstr[1] ""

msgid "%(num)d field"
msgid_plural "%(num)d fields"
msgstr[0] ""
msgstr[1] ""

msgid "%(num)d hour"
msgid_plural "%(num)d hours"
msgstr[0] ""
msgstr[1] ""
"""

CRAFTED_NL = """
msgid ""
msgstr ""
"Language: nl\\n"
"Plural-Forms: nplurals=2; plural=(n != 1);\\n"

msgid "Hello"
msgstr "Hallo"

msgid "Not yet"
msgstr ""

#, fuzzy
msgid "Unsure"
msgstr "Onzeker"

msgid "%(num)d child"
msgid_plural "%(num)d children"
msgstr[0] "%(num)d kind"
msgstr[1] "%(num)d kinderen"

msgid "%(num)d day"
msgid_plural "%(num)d days"
msgstr[0] "%(num)d dag"
msgstr[1] ""

msgid "%(num)d week"
msgid_plural "%(num)d weeks"
msgstr[0] ""
msgstr[1] "%(num)d weken"

msgid "%(num)d field"
msgstr "%(num)d veld"

msgid "%(num)d hour"
msgid_plural "%(num)d hours"
msgstr[0] "%(num)d uur"
"""


def test_a_plural_counts_as_translated_only_with_every_form_filled_in():
    wanted = read_po(io.StringIO(CRAFTED_POT))
    catalogue = read_po(io.StringIO(CRAFTED_NL), locale="nl")
    assert untranslated(wanted, catalogue) == [
        "%(num)d day",  # msgstr[1] empty
        "%(num)d field",  # translated as a singular, which ngettext never finds
        "%(num)d hour",  # msgstr[1] missing altogether
        "%(num)d week",  # msgstr[0] empty
        "Not yet",
        "Unsure",  # fuzzy
    ]


class _FormWithErrors:
    """What the error summary reads of a form: its fields' errors and the form's own."""

    form_errors: list[str] = []

    def __init__(self, fields: int) -> None:
        self.errors = {f"field{i}": ["required"] for i in range(fields)}


def test_the_error_summary_of_a_form_speaks_dutch(app):
    template = '{% from "_macros/forms.html" import form_errors %}{{ form_errors(form) }}'
    with app.test_request_context(), force_locale("nl"):
        one = render_template_string(template, form=_FormWithErrors(1))
        three = render_template_string(template, form=_FormWithErrors(3))
    for summary in (one, three):
        assert 'role="alert"' in summary
        assert "Please correct" not in summary, summary
    assert "1 veld " in one and "3 velden " in three, (one, three)
