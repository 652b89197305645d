"""What machine a benchmark ran on (printed with every figure)."""

from __future__ import annotations

import os
import platform
from pathlib import Path


def machine_info() -> str:
    """CPU model, usable cores and Python version, on one line."""
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    python = platform.python_version()
    return f"{model}, {cores} cores, Python {python}, {platform.platform(terse=True)}"
