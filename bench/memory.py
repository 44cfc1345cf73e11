"""This process's memory, as the kernel reports it."""

from __future__ import annotations

import re
from pathlib import Path


def rss_mb() -> dict[str, float]:
    """Resident memory now (`rss_mb`) and its peak so far (`peak_rss_mb`), in MB."""
    status = Path("/proc/self/status").read_text()
    found = {}
    for key in ("VmRSS", "VmHWM"):
        kb = re.search(rf"{key}:\s+(\d+) kB", status)
        found[key] = round(int(kb.group(1)) / 1024, 1) if kb else -1.0
    return {"rss_mb": found["VmRSS"], "peak_rss_mb": found["VmHWM"]}
