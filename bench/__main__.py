"""Run every benchmark module in this package: ``python -m bench [name ...]``."""

from __future__ import annotations

import importlib
import pkgutil
import sys
from pathlib import Path


def main(argv: list[str]) -> int:
    """Run the named benchmarks (default: all); exit 1 if any misses its budget."""
    here = Path(__file__).resolve().parent
    names = [m.name for m in pkgutil.iter_modules([str(here)]) if not m.name.startswith("_")]
    chosen = argv or names
    failed = False
    for name in chosen:
        if name not in names:
            print(f"no benchmark named {name}; have: {', '.join(names)}")
            return 2
        module = importlib.import_module(f"bench.{name}")
        if hasattr(module, "main"):
            print(f"== {name}")
            failed |= module.main([]) != 0
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
