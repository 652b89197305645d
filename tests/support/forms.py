"""Every form of every feature, for tests that walk them all."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterator

from flask_wtf import FlaskForm

import app as app_package


def all_forms() -> list[FlaskForm]:
    """An instance of every form in every feature's forms module, the built ones included
    (inside a request context)."""
    for module in pkgutil.walk_packages(app_package.__path__, "app."):
        if module.name.rsplit(".", 1)[-1] == "forms":
            importlib.import_module(module.name)
    from app.consent.forms import sign_form, template_form
    from app.consent.models import PURPOSES

    # Forms built from a school's texts: build one of each, so that their classes exist.
    text = {"purposes": {p: {"label": p.value, "explanation": "-"} for p in PURPOSES}}
    built = [sign_form(text), template_form(("nl", "en"), 120)]

    def subclasses(cls: type) -> Iterator[type]:
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    found = {cls for cls in subclasses(FlaskForm) if cls.__module__.startswith("app.")}
    assert {type(form) for form in built} <= found
    return [cls() for cls in found]
