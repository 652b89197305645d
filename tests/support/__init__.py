"""Helpers shared by the tests of several features: plain functions and data, no tests.

Test modules import from here and never from one another (``tests/test_test_layout.py``).
Fixtures live in ``conftest.py`` files; ``clip_fixtures`` is a pytest plugin module that the
root ``conftest.py`` registers, since footage is needed well beyond ``tests/clips``.
"""
