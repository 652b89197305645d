"""Benchmarks of Beeldbrug's budgets (DESIGN.md §6); run them all with ``python -m bench``."""
